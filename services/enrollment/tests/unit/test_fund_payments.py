"""The register of settled claims' fund payments (service_layer/fund_payments.py) on the in-memory store:
what reaches the person's stream, and what the no-claim-year count then says."""

from __future__ import annotations

from datetime import UTC, datetime

from services.enrollment.tests.unit.service_kit import (
    Office,
    cancelled_claim,
    cancelled_reimbursement,
    resident,
    settled_claim,
    settled_reimbursement,
)

LAST_YEAR = datetime(2025, 5, 1, 9)


async def registered() -> Office:
    office = Office()
    await office.send(resident("P1", 1))  # covered since 2020: six no-claim years before 2026
    return office


def changes(office: Office) -> list[tuple[int, bool, str]]:
    return [(e.settlement_year, e.paid, e.claim_id) for e in office.tables["events"]["P1"]
            if type(e).__name__ == "FundPaymentYearChanged"]


async def test_only_the_first_paid_claim_of_a_year_reaches_the_persons_stream() -> None:
    office = await registered()
    for n in range(4):
        await office.deliver(settled_claim(f"C{n}", "P1", LAST_YEAR, 1_000))
    assert changes(office) == [(2025, True, "C0")]
    assert office.tables["years"][("P1", 2025)] == 4_000 and len(office.tables["claims"]) == 4
    assert office.coverage("P1").no_claim_years == 5


async def test_a_claim_the_funds_paid_nothing_for_leaves_the_year_claim_free() -> None:
    office = await registered()
    await office.deliver(settled_claim("C0", "P1", LAST_YEAR, 0))
    assert changes(office) == [] and office.coverage("P1").no_claim_years == 6
    assert "C0" in office.tables["claims"]  # registered all the same: its cancellation is found


async def test_cancelling_one_of_two_paid_claims_keeps_the_year_paid_and_the_last_gives_it_back() -> None:
    office = await registered()
    await office.deliver(settled_claim("C1", "P1", LAST_YEAR, 1_000))
    await office.deliver(settled_claim("C2", "P1", LAST_YEAR, 2_000))
    await office.deliver(cancelled_claim("C1", "P1", "K1"))
    assert changes(office) == [(2025, True, "C1")] and office.coverage("P1").no_claim_years == 5
    await office.deliver(cancelled_claim("C2", "P1", "K2"))
    assert changes(office) == [(2025, True, "C1"), (2025, False, "C2")]
    assert office.coverage("P1").no_claim_years == 6 and office.tables["years"][("P1", 2025)] == 0


async def test_repeats_change_nothing_and_are_not_answered() -> None:
    office = await registered()
    await office.deliver(settled_claim("C1", "P1", LAST_YEAR, 1_000))
    await office.deliver(cancelled_claim("C1", "P1", "K1"))
    sent, tables = len(office.db.outbox), office.tables
    await office.deliver(settled_claim("C1", "P1", LAST_YEAR, 1_000))
    await office.deliver(cancelled_claim("C1", "P1", "K1"))
    assert len(office.db.outbox) == sent and office.tables == tables


async def test_what_the_register_cannot_take_is_refused_with_a_reason_and_changes_nothing() -> None:
    office = await registered()
    await office.deliver(settled_claim("C1", "P1", LAST_YEAR, 1_000))
    await office.deliver(settled_claim("C1", "P1", LAST_YEAR, 1_500))  # the same claim with another amount
    await office.deliver(cancelled_claim("C9", "P1", "K9"))  # never settled
    await office.deliver(cancelled_claim("C1", "P1", "K1"))
    await office.deliver(cancelled_claim("C1", "P1", "K2"))  # cancelled already
    await office.deliver(settled_claim("C3", "NOBODY", LAST_YEAR, 1_000))
    refused = [(e.payload.command_id, e.payload.reason_code) for e in office.published("EnrollmentCommandRefused")]
    assert refused == [("ClaimSettled:C1", "COMMAND_ID_REUSED"), ("ClaimCancelled:C9:K9", "REIMBURSEMENT_NOT_FOUND"),
                       ("ClaimCancelled:C1:K2", "REIMBURSEMENT_NOT_FOUND"), ("ClaimSettled:C3", "UNKNOWN_PERSON")]
    assert office.tables["claims"]["C1"].fund_paid == 1_000 and office.tables["claims"]["C1"].cancel_id == "K1"


async def test_a_manual_reimbursement_the_funds_paid_makes_its_year_a_paid_year() -> None:
    office = await registered()
    await office.deliver(settled_reimbursement("BX-1", "P1", LAST_YEAR, 3_000))
    assert changes(office) == [(2025, True, "reimbursement:SBX-1")]
    assert office.coverage("P1").no_claim_years == 5


async def test_a_withdrawn_reimbursement_gives_the_year_back_and_its_repeats_change_nothing() -> None:
    office = await registered()
    await office.deliver(settled_reimbursement("BX-1", "P1", LAST_YEAR, 3_000))
    await office.deliver(cancelled_reimbursement("BX-1", "P1"))
    sent = len(office.db.outbox)
    await office.deliver(settled_reimbursement("BX-1", "P1", LAST_YEAR, 3_000))
    await office.deliver(cancelled_reimbursement("BX-1", "P1"))
    assert len(office.db.outbox) == sent
    assert changes(office)[-1] == (2025, False, "reimbursement:SBX-1") and office.coverage("P1").no_claim_years == 6


async def test_a_reimbursement_without_its_settlement_time_counts_when_settlement_sent_it() -> None:
    office = await registered()
    await office.deliver(settled_reimbursement("BX-2", "P1", None, 3_000), at=datetime(2025, 12, 31, 17, tzinfo=UTC))
    assert changes(office) == [(2026, True, "reimbursement:SBX-2")]  # 01:00 on 1 January in China


async def test_a_claim_and_a_reimbursement_of_one_year_both_have_to_go_for_the_year_to_be_claim_free() -> None:
    office = await registered()
    await office.deliver(settled_claim("C1", "P1", LAST_YEAR, 1_000))
    await office.deliver(settled_reimbursement("BX-1", "P1", LAST_YEAR, 3_000))
    await office.deliver(cancelled_claim("C1", "P1", "K1"))
    assert office.coverage("P1").no_claim_years == 5
    await office.deliver(cancelled_reimbursement("BX-1", "P1"))
    assert office.coverage("P1").no_claim_years == 6


async def test_a_reimbursement_never_recorded_cannot_be_withdrawn() -> None:
    office = await registered()
    await office.deliver(cancelled_reimbursement("BX-9", "P1"))
    refused = [(e.payload.command_id, e.payload.reason_code) for e in office.published("EnrollmentCommandRefused")]
    assert refused == [("ReimbursementCancelled:SBX-9", "REIMBURSEMENT_NOT_FOUND")]

