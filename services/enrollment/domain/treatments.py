"""Approvals that settlement checks at the counter.

门诊慢特病: a chronic or special outpatient disease applies only after approval (备案), per disease code.
门诊特药 "双通道" with 三定 (source 003): for each special drug the patient is fixed to designated
hospitals and pharmacies and a responsible doctor; changing them means ending the designation first.
"""

from __future__ import annotations

from datetime import date

from services.enrollment.domain.commands import (
    ApproveChronicDisease,
    DesignateSpecialDrug,
    EndSpecialDrugDesignation,
    RevokeChronicApproval,
)
from services.enrollment.domain.dates import overlaps
from services.enrollment.domain.errors import (
    ChronicApprovalNotFound,
    ChronicApprovalOverlap,
    IncompleteRequest,
    InvalidValidity,
    SpecialDrugAlreadyDesignated,
    SpecialDrugNotDesignated,
)
from services.enrollment.domain.events import (
    ChronicApprovalRevoked,
    ChronicDiseaseApproved,
    Event,
    SpecialDrugDesignated,
    SpecialDrugDesignationEnded,
)
from services.enrollment.domain.policy import PolicyBook
from services.enrollment.domain.state import ChronicApproval, PersonState, SpecialDrugDesignation


def approve_chronic_disease(state: PersonState, cmd: ApproveChronicDisease, policy: PolicyBook) -> tuple[Event, ...]:
    if not cmd.disease_code.strip():
        raise IncompleteRequest("An approval needs the disease code (门慢门特病种代码).")
    if cmd.valid_until is not None and cmd.valid_until < cmd.valid_from:
        raise InvalidValidity(f"An approval cannot end ({cmd.valid_until.isoformat()}) "
                              f"before it starts ({cmd.valid_from.isoformat()}).")
    for existing in state.chronic_approvals:
        if existing.disease_code == cmd.disease_code and overlaps(existing.valid_from, existing.valid_until,
                                                                  cmd.valid_from, cmd.valid_until):
            raise ChronicApprovalOverlap(
                f"Disease {cmd.disease_code} is already approved from {existing.valid_from.isoformat()}; "
                "revoke that approval or start the new one after it ends."
            )
    approval = ChronicApproval(cmd.disease_code, cmd.valid_from, cmd.valid_until)
    return (ChronicDiseaseApproved(command_id=cmd.command_id, psn_no=state.psn_no, approval=approval),)


def revoke_chronic_approval(state: PersonState, cmd: RevokeChronicApproval, policy: PolicyBook) -> tuple[Event, ...]:
    """The approval no longer applies from `revoked_on`."""
    if not any(a.disease_code == cmd.disease_code and _open_on_or_after(a.valid_until, cmd.revoked_on)
               for a in state.chronic_approvals):
        raise ChronicApprovalNotFound(f"Disease {cmd.disease_code} has no approval valid on or after {cmd.revoked_on.isoformat()}.")
    return (ChronicApprovalRevoked(command_id=cmd.command_id, psn_no=state.psn_no, disease_code=cmd.disease_code,
                                   revoked_on=cmd.revoked_on),)


def designate_special_drug(state: PersonState, cmd: DesignateSpecialDrug, policy: PolicyBook) -> tuple[Event, ...]:
    if not cmd.hospital_codes or not cmd.doctor_code.strip():
        raise IncompleteRequest("A special-drug designation needs at least one designated hospital and the responsible doctor.")
    current = next((d for d in state.special_drugs
                    if d.drug_code == cmd.drug_code and _open_on_or_after(d.valid_until, cmd.valid_from)), None)
    if current is not None:
        raise SpecialDrugAlreadyDesignated(
            f"Drug {cmd.drug_code} is designated since {current.valid_from.isoformat()}; end that designation "
            "before changing hospital, pharmacy or doctor."
        )
    designation = SpecialDrugDesignation(
        cmd.drug_code, tuple(cmd.hospital_codes), tuple(cmd.pharmacy_codes), cmd.doctor_code, cmd.valid_from
    )
    return (SpecialDrugDesignated(command_id=cmd.command_id, psn_no=state.psn_no, designation=designation),)


def end_special_drug_designation(state: PersonState, cmd: EndSpecialDrugDesignation, policy: PolicyBook) -> tuple[Event, ...]:
    """`ends_on` is the designation's last valid day."""
    current = next((d for d in state.special_drugs if d.drug_code == cmd.drug_code and _open_on_or_after(d.valid_until, cmd.ends_on)), None)
    if current is None:
        raise SpecialDrugNotDesignated(f"Drug {cmd.drug_code} has no designation valid on {cmd.ends_on.isoformat()}.")
    if cmd.ends_on < current.valid_from:
        raise InvalidValidity(f"The designation of {cmd.drug_code} starts on {current.valid_from.isoformat()}; it cannot end before that.")
    return (SpecialDrugDesignationEnded(command_id=cmd.command_id, psn_no=state.psn_no, drug_code=cmd.drug_code, ends_on=cmd.ends_on),)


def _open_on_or_after(valid_until: date | None, day: date) -> bool:
    return valid_until is None or valid_until >= day
