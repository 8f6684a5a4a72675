"""The service layer on the in-memory store: registration, refusals, idempotency, snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime

from libs.contracts import enrollment as w
from libs.contracts.wallet import RelativePremiumPaid
from services.enrollment.tests.unit.service_kit import Office, employee, resident, settled_claim


async def test_an_office_registration_enrolls_the_person_and_publishes_their_coverage() -> None:
    office = Office()
    outcome = await office.send(resident("P1", 1))
    assert (outcome.outcome, outcome.version, outcome.psn_no) == ("done", 1, "P1")
    snapshot = office.coverage("P1")
    assert (snapshot.version, snapshot.insutype, snapshot.insuplc_admdvs, snapshot.active) == (1, "390", "430100", True)
    assert (snapshot.coverage_begin, snapshot.coverage_end, snapshot.waiting_until) == (date(2020, 1, 1), date(2026, 12, 31), None)
    assert (snapshot.continuous_years, snapshot.as_of) == (7, date(2026, 6, 1))


async def test_the_id_number_and_the_name_never_leave_the_service() -> None:
    office = Office()
    registration = resident("P1", 1)
    await office.send(registration)
    await office.send(registration.model_copy(update={"command_id": "again", "psn_no": "P2"}))  # refused: same ID
    assert all(registration.certno.encode() not in m.value and "测试".encode() not in m.value for m in office.db.outbox)


async def test_an_employee_and_a_retiree_registered_by_the_office_are_insured() -> None:
    office = Office()
    await office.send(employee("E1", 1))
    await office.send(employee("R1", 2, retired=True))
    worker, retiree = office.coverage("E1"), office.coverage("R1")
    assert (worker.insutype, worker.active, worker.coverage_end, worker.retired, worker.emp_status) == (
        "310", True, None, False, "employed")
    assert (retiree.active, retiree.retired, retiree.emp_status) == (True, True, "retired")


async def test_an_id_number_with_a_wrong_check_character_is_refused_and_nothing_is_written() -> None:
    office = Office()
    good = resident("P1", 1)
    bad = good.model_copy(update={"certno": good.certno[:17] + ("0" if good.certno[17] != "0" else "1")})
    outcome = await office.send(bad)
    assert (outcome.outcome, outcome.reason_code) == ("refused", "INVALID_ID_NUMBER")
    assert "check character" in (outcome.reason or "") and bad.certno not in (outcome.reason or "")
    (refusal,) = office.published()
    assert refusal.event_type == "EnrollmentCommandRefused" and refusal.payload.reason_code == "INVALID_ID_NUMBER"
    assert office.tables["persons"] == {} and list(office.tables["commands"]) == [good.command_id]


async def test_a_repeated_command_id_is_answered_from_the_first_outcome_and_changes_nothing() -> None:
    office = Office()
    first = await office.send(resident("P1", 1))
    again = await office.send(resident("P1", 1))
    assert again == first.model_copy(update={"repeated": True})
    assert len(office.published()) == 1 and len(office.tables["events"]["P1"]) == 2


async def test_a_refused_command_sent_again_gets_the_same_refusal_again() -> None:
    office = Office()
    await office.send(resident("P1", 1))
    link = w.LinkRelative(command_id="link-1", psn_no="P1", relative_psn_no="P1", relation="spouse")
    first, again = await office.send(link), await office.send(link)
    assert first.reason_code == again.reason_code == "RELATION_TO_SELF" and again.repeated
    refusals = office.published("EnrollmentCommandRefused")
    assert [r.payload.reason for r in refusals] == [first.reason, first.reason]
    assert len(office.tables["events"]["P1"]) == 2


async def test_a_command_id_reused_for_a_different_command_is_refused() -> None:
    office = Office()
    await office.send(resident("P1", 1))
    outcome = await office.send(w.EnrollResident(command_id=resident("P1", 1).command_id, psn_no="P1",
                                                 coverage_year=2027, cash_amount=40_000))
    assert outcome.reason_code == "COMMAND_ID_REUSED" and len(office.tables["events"]["P1"]) == 2


async def test_a_second_person_with_the_same_id_number_or_person_number_is_refused() -> None:
    office = Office()
    await office.send(resident("P1", 1))
    same_id = await office.send(resident("P2", 1).model_copy(update={"command_id": "reg-other"}))
    same_number = await office.send(resident("P1", 2).model_copy(update={"command_id": "reg-again"}))
    assert (same_id.reason_code, same_number.reason_code) == ("DUPLICATE_ID_NUMBER", "PERSON_ALREADY_REGISTERED")
    assert list(office.tables["persons"]) == ["P1"]


async def test_a_late_resident_payment_covers_from_the_payment_day_after_a_waiting_period() -> None:
    office = Office()
    await office.send(resident("P1", 1, begndate=None))
    assert not office.coverage("P1").active
    outcome = await office.send(w.EnrollResident(command_id="pay-1", psn_no="P1", coverage_year=2026,
                                                 paid_on=date(2026, 5, 10), cash_amount=40_000))
    snapshot = office.coverage("P1")
    assert (outcome.version, snapshot.active, snapshot.coverage_begin) == (2, True, date(2026, 5, 10))
    assert snapshot.waiting_until == date(2026, 8, 9)


async def test_a_second_enrollment_over_covered_days_is_refused() -> None:
    office = Office()
    await office.send(resident("P1", 1))
    outcome = await office.send(w.EnrollResident(command_id="pay-1", psn_no="P1", coverage_year=2026,
                                                 paid_on=date(2026, 5, 10), cash_amount=40_000))
    assert outcome.reason_code == "COVERAGE_OVERLAP" and len(office.tables["events"]["P1"]) == 2


async def test_linking_a_relative_links_both_sides_and_publishes_both_snapshots() -> None:
    office = Office()
    await office.send(resident("MUM", 1))
    await office.send(resident("KID", 2))
    outcome = await office.send(w.LinkRelative(command_id="link-1", psn_no="KID", relative_psn_no="MUM", relation="parent"))
    assert outcome.outcome == "done"
    assert office.coverage("KID").family_psn_nos == ["MUM"] and office.coverage("MUM").family_psn_nos == ["KID"]


async def test_linking_an_unknown_relative_is_refused_and_nothing_is_written() -> None:
    office = Office()
    await office.send(resident("KID", 2))
    outcome = await office.send(w.LinkRelative(command_id="link-1", psn_no="KID", relative_psn_no="NOBODY", relation="parent"))
    assert outcome.reason_code == "UNKNOWN_PERSON" and len(office.tables["events"]["KID"]) == 2


async def test_a_premium_paid_by_a_relatives_account_enrolls_the_person() -> None:
    office = Office()
    await office.send(resident("MUM", 1))
    await office.send(resident("KID", 2, begndate=None))
    await office.send(w.LinkRelative(command_id="link-1", psn_no="KID", relative_psn_no="MUM", relation="parent"))
    paid = RelativePremiumPaid(payment_id="pay-77", payer_psn_no="MUM", psn_no="KID", coverage_year=2027,
                               amount=40_000, paid_at=datetime(2026, 11, 1, 3, tzinfo=UTC))
    outcome = await office.send(paid, at=datetime(2026, 11, 1, 3, tzinfo=UTC))
    assert (outcome.command_id, outcome.outcome) == ("RelativePremiumPaid:pay-77", "done")
    assert (office.coverage("KID").coverage_begin, office.coverage("KID").waiting_until) == (date(2027, 1, 1), None)


async def test_a_premium_from_someone_not_linked_is_refused() -> None:
    office = Office()
    await office.send(resident("KID", 2, begndate=None))
    paid = RelativePremiumPaid(payment_id="pay-78", payer_psn_no="STRANGER", psn_no="KID", coverage_year=2027,
                               amount=40_000, paid_at=datetime(2026, 11, 1, 3, tzinfo=UTC))
    assert (await office.send(paid)).reason_code == "MUTUAL_AID_PAYER_NOT_RELATIVE"


async def test_settled_claims_count_against_no_claim_years_and_republish_only_a_changed_snapshot() -> None:
    office = Office()
    await office.send(resident("P1", 1))
    assert office.coverage("P1").no_claim_years == 6  # 2020 to 2025, before the view's year
    await office.deliver(settled_claim("C1", "P1", datetime(2026, 5, 1, 9), 5_000))
    assert len(office.published("CoverageChanged")) == 1  # this year's payment changes no count today
    await office.deliver(settled_claim("C0", "P1", datetime(2025, 5, 1, 9), 5_000))
    assert office.coverage("P1").version == 2 and office.coverage("P1").no_claim_years == 5


async def test_a_filing_for_an_unknown_person_is_refused_with_its_own_code() -> None:
    office = Office()
    outcome = await office.send(w.FileCrossRegionTreatment(command_id="f-1", psn_no="NOBODY", filing_id="B1",
                                                           kind="temporary", mdtrtarea_admvs="371300"))
    assert outcome.reason_code == "FILING_UNKNOWN_PERSON"


async def test_a_filing_and_its_cancellation_reach_the_snapshot_with_their_dates() -> None:
    office = Office()
    await office.send(resident("P1", 1))
    await office.send(w.FileCrossRegionTreatment(command_id="f-1", psn_no="P1", filing_id="B1", kind="temporary",
                                                 mdtrtarea_admvs="371300"))
    (filing,) = office.coverage("P1").filings
    assert (filing.mdtrtarea_admvs, filing.begndate, filing.enddate) == ("371300", date(2026, 6, 1), date(2026, 11, 30))
    await office.send(w.CancelFiling(command_id="f-2", psn_no="P1", filing_id="B1", cancelled_on=date(2026, 7, 1)))
    assert office.coverage("P1").filings[0].enddate == date(2026, 6, 30)


async def test_the_business_day_is_the_day_in_china() -> None:
    office = Office()
    await office.send(resident("P1", 1), at=datetime(2026, 12, 31, 17, 0, tzinfo=UTC))  # 1 January 2027, 01:00 in China
    snapshot = office.coverage("P1")
    assert (snapshot.as_of, snapshot.coverage_end) == (date(2027, 1, 1), date(2027, 12, 31))
