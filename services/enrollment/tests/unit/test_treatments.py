"""门诊慢特病 approvals and 门诊特药 三定 designations (source 003)."""

from datetime import date

import pytest

from services.enrollment.domain import (
    ApproveChronicDisease,
    DesignateSpecialDrug,
    EndSpecialDrugDesignation,
    RevokeChronicApproval,
)
from services.enrollment.domain.errors import (
    ChronicApprovalNotFound,
    ChronicApprovalOverlap,
    IncompleteRequest,
    InvalidValidity,
    SpecialDrugAlreadyDesignated,
    SpecialDrugNotDesignated,
)
from services.enrollment.tests.unit.builders import next_id, person, policy

HYPERTENSION = "M03900"
DRUG = "XL01XE-imatinib"


def approve(someone, code=HYPERTENSION, valid_from=date(2025, 1, 1), valid_until=None):
    return someone.handle(ApproveChronicDisease(command_id=next_id(), psn_no=someone.state.psn_no, disease_code=code,
                                                valid_from=valid_from, valid_until=valid_until), policy())


def designate(someone, valid_from=date(2025, 1, 1), hospitals=("H001",), pharmacies=("Y001",), doctor="D01"):
    return someone.handle(
        DesignateSpecialDrug(command_id=next_id(), psn_no=someone.state.psn_no, drug_code=DRUG,
                             hospital_codes=hospitals, pharmacy_codes=pharmacies, doctor_code=doctor,
                             valid_from=valid_from),
        policy(),
    )


def test_an_approved_disease_applies_from_its_start_to_its_end():
    someone = person()
    approve(someone, valid_until=date(2025, 12, 31))
    assert [a.disease_code for a in someone.view(date(2025, 6, 1)).chronic_approvals] == [HYPERTENSION]
    assert someone.view(date(2026, 1, 1)).chronic_approvals == ()


def test_the_same_disease_cannot_be_approved_twice_over_the_same_days():
    someone = person()
    approve(someone)
    with pytest.raises(ChronicApprovalOverlap):
        approve(someone, valid_from=date(2025, 6, 1))
    approve(someone, code="E11900")  # diabetes alongside is fine


def test_an_approval_cannot_end_before_it_starts():
    with pytest.raises(InvalidValidity):
        approve(person(), valid_from=date(2025, 6, 1), valid_until=date(2025, 5, 31))


def test_a_revoked_approval_stops_on_the_revocation_day():
    someone = person()
    approve(someone)
    someone.handle(RevokeChronicApproval(command_id=next_id(), psn_no=someone.state.psn_no, disease_code=HYPERTENSION,
                                         revoked_on=date(2025, 9, 1)), policy())
    assert someone.view(date(2025, 8, 31)).chronic_approvals[0].valid_until == date(2025, 8, 31)
    assert someone.view(date(2025, 9, 1)).chronic_approvals == ()
    with pytest.raises(ChronicApprovalNotFound):
        someone.handle(RevokeChronicApproval(command_id=next_id(), psn_no=someone.state.psn_no,
                                             disease_code=HYPERTENSION, revoked_on=date(2025, 10, 1)), policy())


def test_a_special_drug_is_fixed_to_its_hospital_pharmacy_and_doctor():
    someone = person()
    designate(someone)
    (designation,) = someone.view(date(2025, 2, 1)).special_drugs
    assert (designation.hospital_codes, designation.pharmacy_codes, designation.doctor_code) == (("H001",), ("Y001",), "D01")


def test_a_designation_needs_a_hospital_and_a_doctor():
    with pytest.raises(IncompleteRequest):
        designate(person(), hospitals=())
    with pytest.raises(IncompleteRequest):
        designate(person(), doctor=" ")


def test_changing_a_designation_means_ending_the_current_one_first():
    someone = person()
    designate(someone)
    with pytest.raises(SpecialDrugAlreadyDesignated):
        designate(someone, valid_from=date(2025, 7, 1), hospitals=("H002",))
    someone.handle(EndSpecialDrugDesignation(command_id=next_id(), psn_no=someone.state.psn_no, drug_code=DRUG,
                                             ends_on=date(2025, 6, 30)), policy())
    designate(someone, valid_from=date(2025, 7, 1), hospitals=("H002",))
    assert someone.view(date(2025, 7, 1)).special_drugs[-1].hospital_codes == ("H002",)


def test_ending_a_drug_that_is_not_designated_is_refused():
    someone = person()
    with pytest.raises(SpecialDrugNotDesignated):
        someone.handle(EndSpecialDrugDesignation(command_id=next_id(), psn_no=someone.state.psn_no, drug_code=DRUG,
                                                 ends_on=date(2025, 6, 30)), policy())
