"""Enrollment (参保) domain: people, premiums, coverage, waiting periods, transfers, filings, approvals.

Pure Python: no I/O, no clock, no framework. Money is integer fen (libs.money). The service layer
loads an `InsuredPerson`, calls `handle(command, policy)`, stores `person.events`, and publishes
`person.view(on)` as the coverage snapshot. Refusals are `EnrollmentRefused` subclasses with a
`reason_code`. Masking of ID numbers and names lives in `libs.masking`.
"""

from services.enrollment.domain.commands import (
    ApplyForTransfer,
    ApproveChronicDisease,
    CancelFiling,
    CancelTransfer,
    ChangeHardshipGroup,
    Command,
    CompleteTransfer,
    DesignateSpecialDrug,
    EndEmployeeCoverage,
    EndSpecialDrugDesignation,
    EnrollEmployee,
    EnrollFromRegistration,
    EnrollNewborn,
    EnrollResident,
    EnrollStudent,
    FileCrossRegionTreatment,
    LinkRelative,
    MutualAidPayment,
    PayRetirementShortfall,
    RecordDeemedContribution,
    RecordEmployeeContribution,
    RecordFundPaymentYear,
    RegisterPerson,
    RequestTransfer,
    Retire,
    RevokeChronicApproval,
    UnlinkRelative,
    psn_no_for,
)
from services.enrollment.domain.errors import EnrollmentRefused
from services.enrollment.domain.events import Event
from services.enrollment.domain.person import InsuredPerson, check_not_registered, check_person_known
from services.enrollment.domain.policy import (
    SHANXI_SUBSIDIES_2022_2025,
    PolicyBook,
    ResidentYear,
    SubsidyKind,
    SubsidyRule,
    WaitingPeriodRules,
)
from services.enrollment.domain.premiums import premium_split
from services.enrollment.domain.resident_id import ResidentId, parse_resident_id
from services.enrollment.domain.retirement import RetirementEligibility, retirement_eligibility
from services.enrollment.domain.state import (
    ChronicApproval,
    Contribution,
    CoveragePeriod,
    CrossRegionFiling,
    FilingKind,
    PersonState,
    SpecialDrugDesignation,
)
from services.enrollment.domain.view import CoverageView, coverage_view
from services.enrollment.domain.vocabulary import (
    ContributionSource,
    EmploymentStatus,
    EnrollmentKind,
    HardshipGroup,
    Relation,
    Scheme,
    Sex,
)

__all__ = [
    "SHANXI_SUBSIDIES_2022_2025",
    "ApplyForTransfer", "ApproveChronicDisease", "CancelFiling", "CancelTransfer", "ChangeHardshipGroup",
    "ChronicApproval", "Command", "CompleteTransfer", "Contribution", "ContributionSource", "CoveragePeriod",
    "CoverageView", "CrossRegionFiling", "DesignateSpecialDrug", "EmploymentStatus", "EndEmployeeCoverage",
    "EndSpecialDrugDesignation", "EnrollEmployee", "EnrollFromRegistration", "EnrollNewborn", "EnrollResident",
    "EnrollStudent", "EnrollmentKind", "EnrollmentRefused", "Event", "FileCrossRegionTreatment", "FilingKind",
    "HardshipGroup", "InsuredPerson", "LinkRelative", "MutualAidPayment", "PayRetirementShortfall", "PersonState",
    "PolicyBook", "RecordDeemedContribution", "RecordEmployeeContribution", "RecordFundPaymentYear", "RegisterPerson",
    "Relation", "RequestTransfer", "ResidentId", "ResidentYear", "Retire", "RetirementEligibility",
    "RevokeChronicApproval", "Scheme", "Sex", "SpecialDrugDesignation", "SubsidyKind", "SubsidyRule", "UnlinkRelative",
    "WaitingPeriodRules",
    "check_not_registered", "check_person_known", "coverage_view", "parse_resident_id", "premium_split", "psn_no_for",
    "retirement_eligibility",
]
