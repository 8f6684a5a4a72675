"""转移接续 in 3 steps (source 003): apply at the new region, the new region asks the old, the old transfers."""

from datetime import date

import pytest

from services.enrollment.domain import (
    ApplyForTransfer,
    CancelTransfer,
    CompleteTransfer,
    EmploymentStatus,
    EnrollEmployee,
    RequestTransfer,
)
from services.enrollment.domain.errors import (
    TransferInProgress,
    TransferNotFound,
    TransferNotInsured,
    TransferOutOfOrder,
    TransferSameRegion,
)
from services.enrollment.domain.state import TransferStep
from services.enrollment.tests.unit.builders import HOME, next_id, person, policy

NEW_REGION = "430102"  # Changsha


def insured_employee():
    someone = person()
    someone.handle(EnrollEmployee(command_id=next_id(), psn_no=someone.state.psn_no, starts_on=date(2020, 1, 1),
                                  employment_status=EmploymentStatus.EMPLOYED, with_maternity=True), policy())
    return someone


def apply(someone, transfer_id="T1", to_region=NEW_REGION, on=date(2025, 5, 1)):
    return someone.handle(ApplyForTransfer(command_id=next_id(), psn_no=someone.state.psn_no, transfer_id=transfer_id,
                                           to_region=to_region, applied_on=on), policy())


def request(someone, transfer_id="T1"):
    return someone.handle(RequestTransfer(command_id=next_id(), psn_no=someone.state.psn_no, transfer_id=transfer_id,
                                          requested_on=date(2025, 5, 6)), policy())


def complete(someone, transfer_id="T1", on=date(2025, 6, 1)):
    return someone.handle(CompleteTransfer(command_id=next_id(), psn_no=someone.state.psn_no, transfer_id=transfer_id,
                                           effective_on=on), policy())


def test_three_steps_move_the_coverage_to_the_new_region_without_a_gap():
    someone = insured_employee()
    apply(someone)
    request(someone)
    complete(someone)
    assert someone.state.insured_region == NEW_REGION
    assert someone.view(date(2025, 5, 31)).insured_region == HOME
    after = someone.view(date(2025, 6, 1))
    assert after.insured_region == NEW_REGION and after.active and after.maternity
    assert after.coverage_begins_on == date(2020, 1, 1) and after.coverage_ends_on is None


def test_the_old_region_cannot_transfer_before_the_new_region_has_asked():
    someone = insured_employee()
    apply(someone)
    with pytest.raises(TransferOutOfOrder, match="contact letter") as refused:
        complete(someone)
    assert refused.value.reason_code == "TRANSFER_OUT_OF_ORDER"


def test_asking_twice_or_completing_twice_is_out_of_order():
    someone = insured_employee()
    apply(someone)
    request(someone)
    with pytest.raises(TransferOutOfOrder):
        request(someone)
    complete(someone)
    with pytest.raises(TransferOutOfOrder, match="complete"):
        complete(someone)


def test_steps_for_an_unknown_transfer_are_refused():
    with pytest.raises(TransferNotFound):
        request(insured_employee(), "T-unknown")


def test_a_second_application_while_one_is_in_progress_is_refused():
    someone = insured_employee()
    apply(someone)
    with pytest.raises(TransferInProgress):
        apply(someone, "T2", to_region="440106")


def test_a_transfer_to_the_current_region_or_of_someone_uninsured_is_refused():
    with pytest.raises(TransferSameRegion):
        apply(insured_employee(), to_region=HOME)
    with pytest.raises(TransferNotInsured):
        apply(person())


def test_a_transfer_cannot_take_effect_before_its_application():
    someone = insured_employee()
    apply(someone)
    request(someone)
    with pytest.raises(TransferOutOfOrder, match="before it was applied"):
        complete(someone, on=date(2025, 4, 30))


def test_a_transfer_in_progress_can_be_cancelled_but_not_a_completed_one():
    someone = insured_employee()
    apply(someone)
    someone.handle(CancelTransfer(command_id=next_id(), psn_no=someone.state.psn_no, transfer_id="T1"), policy())
    assert someone.state.transfers[0].step is TransferStep.CANCELLED
    apply(someone, "T2")
    request(someone, "T2")
    complete(someone, "T2")
    with pytest.raises(TransferOutOfOrder):
        someone.handle(CancelTransfer(command_id=next_id(), psn_no=someone.state.psn_no, transfer_id="T2"), policy())
