"""Refusals: each carries a stable `reason_code` and a sentence an enrollment-office clerk can act on.

The service layer turns any `EnrollmentRefused` into a `CommandRefused` reply with `reason_code` and
the error's `sentence`; anything else escaping the domain is a bug, not a refusal. The base is every
service's (`libs/errors.py`).
"""

from __future__ import annotations

from typing import ClassVar

from libs.errors import DomainError


class EnrollmentRefused(DomainError):
    """Base of every domain refusal; nothing was recorded."""

    reason_code: ClassVar[str] = "ENROLLMENT_REFUSED"


# People
class InvalidIdNumber(EnrollmentRefused):
    reason_code = "INVALID_ID_NUMBER"


class IdDetailsMismatch(EnrollmentRefused):
    """The declared birth date or sex differs from what the ID number encodes."""

    reason_code = "ID_DETAILS_MISMATCH"


class InvalidPersonDetails(EnrollmentRefused):
    reason_code = "INVALID_PERSON_DETAILS"


class InvalidRegionCode(EnrollmentRefused):
    reason_code = "INVALID_REGION_CODE"


class DuplicateIdNumber(EnrollmentRefused):
    """Raised by the service layer: another psn_no already holds this ID number."""

    reason_code = "DUPLICATE_ID_NUMBER"


class CommandIdReused(EnrollmentRefused):
    """Raised by the service layer: a command id already used for a different command."""

    reason_code = "COMMAND_ID_REUSED"


class PersonAlreadyRegistered(EnrollmentRefused):
    reason_code = "PERSON_ALREADY_REGISTERED"


class UnknownPerson(EnrollmentRefused):
    reason_code = "UNKNOWN_PERSON"


class RelationToSelf(EnrollmentRefused):
    reason_code = "RELATION_TO_SELF"


class RelativeAlreadyLinked(EnrollmentRefused):
    reason_code = "RELATIVE_ALREADY_LINKED"


class RelativeNotLinked(EnrollmentRefused):
    reason_code = "RELATIVE_NOT_LINKED"


# Contributions and coverage
class PolicyNotConfigured(EnrollmentRefused):
    reason_code = "POLICY_NOT_CONFIGURED"


class PaymentOutsideWindow(EnrollmentRefused):
    reason_code = "PAYMENT_OUTSIDE_WINDOW"


class PremiumAmountMismatch(EnrollmentRefused):
    reason_code = "PREMIUM_AMOUNT_MISMATCH"


class InvalidAmount(EnrollmentRefused):
    reason_code = "INVALID_AMOUNT"


class MutualAidPayerNotRelative(EnrollmentRefused):
    reason_code = "MUTUAL_AID_PAYER_NOT_RELATIVE"


class CoverageOverlap(EnrollmentRefused):
    reason_code = "COVERAGE_OVERLAP"


class NewbornOutsideBirthYear(EnrollmentRefused):
    reason_code = "NEWBORN_OUTSIDE_BIRTH_YEAR"


class InvalidStudyPeriod(EnrollmentRefused):
    reason_code = "INVALID_STUDY_PERIOD"


class MaternityNotOffered(EnrollmentRefused):
    reason_code = "MATERNITY_NOT_OFFERED"


class NotInEmployeeScheme(EnrollmentRefused):
    reason_code = "NOT_IN_EMPLOYEE_SCHEME"


class ContributionMonthDuplicate(EnrollmentRefused):
    reason_code = "CONTRIBUTION_MONTH_DUPLICATE"


class ReimbursementNotFound(EnrollmentRefused):
    reason_code = "REIMBURSEMENT_NOT_FOUND"


# Retirement
class RetirementContributionShortfall(EnrollmentRefused):
    reason_code = "RETIREMENT_CONTRIBUTION_SHORTFALL"


class NoRetirementShortfall(EnrollmentRefused):
    reason_code = "NO_RETIREMENT_SHORTFALL"


class AlreadyRetired(EnrollmentRefused):
    reason_code = "ALREADY_RETIRED"


# Transfers
class TransferNotFound(EnrollmentRefused):
    reason_code = "TRANSFER_NOT_FOUND"


class TransferOutOfOrder(EnrollmentRefused):
    reason_code = "TRANSFER_OUT_OF_ORDER"


class TransferInProgress(EnrollmentRefused):
    reason_code = "TRANSFER_IN_PROGRESS"


class TransferSameRegion(EnrollmentRefused):
    reason_code = "TRANSFER_SAME_REGION"


class TransferNotInsured(EnrollmentRefused):
    reason_code = "TRANSFER_NOT_INSURED"


# Filings, approvals, designations
class FilingUnknownPerson(EnrollmentRefused):
    reason_code = "FILING_UNKNOWN_PERSON"


class FilingNotFound(EnrollmentRefused):
    reason_code = "FILING_NOT_FOUND"


class FilingExpired(EnrollmentRefused):
    reason_code = "FILING_EXPIRED"


class FilingOverlap(EnrollmentRefused):
    reason_code = "FILING_OVERLAP"


class FilingInsuredRegion(EnrollmentRefused):
    """A cross-region filing naming the person's own insured region."""

    reason_code = "FILING_INSURED_REGION"


class FilingNumberInUse(EnrollmentRefused):
    reason_code = "FILING_NUMBER_IN_USE"


class FilingBackdated(EnrollmentRefused):
    reason_code = "FILING_BACKDATED"


class FilingAlreadyCancelled(EnrollmentRefused):
    reason_code = "FILING_ALREADY_CANCELLED"


class EmergencyFilingAfterDischarge(EnrollmentRefused):
    reason_code = "EMERGENCY_FILING_AFTER_DISCHARGE"


class InvalidValidity(EnrollmentRefused):
    reason_code = "INVALID_VALIDITY"


class IncompleteRequest(EnrollmentRefused):
    reason_code = "INCOMPLETE_REQUEST"


class ChronicApprovalOverlap(EnrollmentRefused):
    reason_code = "CHRONIC_APPROVAL_OVERLAP"


class ChronicApprovalNotFound(EnrollmentRefused):
    reason_code = "CHRONIC_APPROVAL_NOT_FOUND"


class SpecialDrugAlreadyDesignated(EnrollmentRefused):
    reason_code = "SPECIAL_DRUG_ALREADY_DESIGNATED"


class SpecialDrugNotDesignated(EnrollmentRefused):
    reason_code = "SPECIAL_DRUG_NOT_DESIGNATED"
