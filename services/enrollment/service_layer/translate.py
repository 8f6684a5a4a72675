"""Wire commands, and the other services' facts enrollment listens to, as the domain's commands.

Pure and total: every message becomes one or more domain commands; the rules decide afterwards. A date
the office left out is `today`, the day the command was issued in China time. Facts from the wallet and
settlement get a command id derived from their own idempotency key, so a redelivery is a repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypedDict

from libs.china_time import china_date
from libs.contracts import enrollment as w
from libs.contracts import wallet
from libs.contracts.envelope import Payload
from services.enrollment import domain as d
from services.enrollment.domain import EmploymentStatus, FilingKind, HardshipGroup, Relation, Scheme, Sex

_PERSON_IDS = uuid.UUID("5b0f3a52-6a55-4c55-9d7e-1101e0a11e01")  # namespace of the offices' person numbers


def business_day(moment: datetime) -> date:
    """The day in China of a moment; a moment without a zone is taken as UTC, as envelopes are."""
    return china_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def local_day(moment: datetime) -> date:
    """A hospital's timestamp: without a zone it is already China time."""
    return moment.date() if moment.tzinfo is None else china_date(moment)


@dataclass(frozen=True, kw_only=True)
class OfficeRegistration(d.RegisterPerson):
    """The domain's registration under the psn_no the office's system assigned, kept as given.

    The domain derives psn_no from a caller's UUID; offices' systems number their people already and
    hospitals query and claim with that number, so the service keeps it (`person_id` is then a
    name-based UUID of it, used nowhere else).
    """

    office_psn_no: str

    @property
    def psn_no(self) -> str:
        return self.office_psn_no


def register_person(cmd: w.RegisterPerson, today: date) -> tuple[d.RegisterPerson | d.EnrollFromRegistration, ...]:
    registration = OfficeRegistration(
        command_id=cmd.command_id, person_id=uuid.uuid5(_PERSON_IDS, cmd.psn_no), office_psn_no=cmd.psn_no,
        id_number=cmd.certno, name=cmd.psn_name, sex=Sex(cmd.gend), birth_date=cmd.brdy,
        insured_region=cmd.insuplc_admdvs, scheme=Scheme(cmd.insutype), registered_on=today,
        employment_status=EmploymentStatus(cmd.emp_status), hardship_group=HardshipGroup(cmd.hardship_group),
    )
    if cmd.begndate is None:
        return (registration,)
    enrollment = d.EnrollFromRegistration(
        command_id=f"{cmd.command_id}/enrollment", psn_no=cmd.psn_no, scheme=Scheme(cmd.insutype),
        starts_on=cmd.begndate, through_year=today.year,
    )
    return (registration, enrollment)


class _Ids(TypedDict):
    command_id: str
    psn_no: str


def _ids(cmd: Any) -> _Ids:
    return {"command_id": cmd.command_id, "psn_no": cmd.psn_no}


_PERSON_COMMANDS: dict[type[Payload], Callable[[Any, date], d.Command]] = {
    w.LinkRelative: lambda m, today: d.LinkRelative(**_ids(m), relative_psn_no=m.relative_psn_no, relation=Relation(m.relation)),
    w.UnlinkRelative: lambda m, today: d.UnlinkRelative(**_ids(m), relative_psn_no=m.relative_psn_no),
    w.ChangeHardshipGroup: lambda m, today: d.ChangeHardshipGroup(
        **_ids(m), hardship_group=HardshipGroup(m.hardship_group), effective_on=m.effective_on or today),
    w.EnrollResident: lambda m, today: d.EnrollResident(
        **_ids(m), coverage_year=m.coverage_year, paid_on=m.paid_on or today, cash_amount=m.cash_amount),
    w.EnrollStudent: lambda m, today: d.EnrollStudent(
        **_ids(m), insured_region=m.insuplc_admdvs, admitted_on=m.admitted_on, study_years=m.study_years,
        paid_on=m.paid_on or today, coverage_starts_on=m.coverage_starts_on, cash_amount=m.cash_amount),
    w.EnrollNewborn: lambda m, today: d.EnrollNewborn(**_ids(m), enrolled_on=m.enrolled_on or today),
    w.EnrollEmployee: lambda m, today: d.EnrollEmployee(
        **_ids(m), starts_on=m.begndate, employment_status=EmploymentStatus(m.emp_status), with_maternity=m.with_maternity),
    w.EndEmployeeCoverage: lambda m, today: d.EndEmployeeCoverage(**_ids(m), ends_on=m.enddate),
    w.RecordEmployeeContribution: lambda m, today: d.RecordEmployeeContribution(
        **_ids(m), year=m.year, month=m.month, employer_amount=m.employer_amount,
        employee_amount=m.employee_amount, paid_on=m.paid_on or today),
    w.RecordDeemedContribution: lambda m, today: d.RecordDeemedContribution(**_ids(m), months=m.months),
    w.PayRetirementShortfall: lambda m, today: d.PayRetirementShortfall(
        **_ids(m), months=m.months, employer_amount=m.employer_amount, employee_amount=m.employee_amount,
        paid_on=m.paid_on or today),
    w.Retire: lambda m, today: d.Retire(**_ids(m), retired_on=m.retired_on or today),
    w.ApplyForTransfer: lambda m, today: d.ApplyForTransfer(
        **_ids(m), transfer_id=m.transfer_id, to_region=m.to_admdvs, applied_on=m.applied_on or today),
    w.RequestTransfer: lambda m, today: d.RequestTransfer(
        **_ids(m), transfer_id=m.transfer_id, requested_on=m.requested_on or today),
    w.CompleteTransfer: lambda m, today: d.CompleteTransfer(
        **_ids(m), transfer_id=m.transfer_id, effective_on=m.effective_on or today),
    w.CancelTransfer: lambda m, today: d.CancelTransfer(**_ids(m), transfer_id=m.transfer_id),
    w.FileCrossRegionTreatment: lambda m, today: d.FileCrossRegionTreatment(
        **_ids(m), filing_id=m.filing_id, kind=FilingKind(m.kind), treatment_area=m.mdtrtarea_admvs,
        filed_on=m.filed_on or today, valid_from=m.begndate, valid_until=m.enddate,
        discharge_settled_on=m.discharge_settled_on),
    w.CancelFiling: lambda m, today: d.CancelFiling(**_ids(m), filing_id=m.filing_id, cancelled_on=m.cancelled_on or today),
    w.ApproveChronicDisease: lambda m, today: d.ApproveChronicDisease(
        **_ids(m), disease_code=m.opsp_dise_code, valid_from=m.begndate, valid_until=m.enddate),
    w.RevokeChronicApproval: lambda m, today: d.RevokeChronicApproval(
        **_ids(m), disease_code=m.opsp_dise_code, revoked_on=m.revoked_on or today),
    w.DesignateSpecialDrug: lambda m, today: d.DesignateSpecialDrug(
        **_ids(m), drug_code=m.med_list_codg, hospital_codes=tuple(m.hospital_codes),
        pharmacy_codes=tuple(m.pharmacy_codes), doctor_code=m.bilg_dr_codg, valid_from=m.begndate),
    w.EndSpecialDrugDesignation: lambda m, today: d.EndSpecialDrugDesignation(
        **_ids(m), drug_code=m.med_list_codg, ends_on=m.enddate or today),
    # Facts from other services.
    wallet.RelativePremiumPaid: lambda m, today: d.EnrollResident(
        command_id=f"RelativePremiumPaid:{m.payment_id}", psn_no=m.psn_no, coverage_year=m.coverage_year,
        paid_on=business_day(m.paid_at), mutual_aid=d.MutualAidPayment(m.payer_psn_no, m.amount, m.payment_id)),
}


def to_domain(message: Payload, today: date) -> tuple[Any, ...]:
    """The domain commands for one message; the first one's id and psn_no identify the whole."""
    if isinstance(message, w.RegisterPerson):
        return register_person(message, today)
    return (_PERSON_COMMANDS[type(message)](message, today),)
