"""Supervision rules with DOMAIN.md's numbers: a code sold twice, 30 days between exams, fines 2–5×."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from libs.china_time import CHINA_TIME
from services.console.domain.supervision import (
    Item,
    SettledClaim,
    cancellation_spikes,
    cost_per_visit_above_baseline,
    drug_trace_codes_sold_twice,
    many_institutions_one_day,
    repeated_large_equipment_exams,
)

CT = "002103000010000"
MRI = "002103000030000"
EXAMS = frozenset({CT, MRI})
MORNING = datetime(2026, 6, 1, 9, 0, tzinfo=CHINA_TIME)


def claim(claim_id: str, *, psn: str = "P1", at: datetime = MORNING, hospital: str = "H1", total: int = 100_00,
          fund: int = 60_00, items: tuple[Item, ...] = ()) -> SettledClaim:
    return SettledClaim(claim_id, psn, hospital, at, total, fund, items)


def box(code: str, cnt: str = "1") -> Item:
    return Item("XA10BAD010A001010100593", Decimal(cnt), (code,))


def test_a_traceability_code_sold_once_raises_nothing() -> None:
    assert drug_trace_codes_sold_twice([claim("C1", items=(box("T-1"),)), claim("C2", items=(box("T-2"),))]) == []


def test_a_traceability_code_sold_twice_names_both_claims_and_the_fund_paid_the_second_time() -> None:
    alerts = drug_trace_codes_sold_twice([
        claim("C1", hospital="H1", items=(box("T-1"),)),
        claim("C2", hospital="P9", fund=40_00, items=(box("T-1"),)),
    ])
    assert [(a.rule, a.subject, a.claim_ids, a.fund_at_stake) for a in alerts] == [
        ("DRUG_TRACE_CODE_SOLD_TWICE", "T-1", ("C1", "C2"), 40_00)]
    assert alerts[0].facts["institutions"] == ["H1", "P9"]


def test_the_fine_a_sold_twice_code_may_bring_is_two_to_five_times_what_was_obtained() -> None:
    [alert] = drug_trace_codes_sold_twice([claim("C1", items=(box("T-1"),)), claim("C2", fund=40_00, items=(box("T-1"),))])
    assert alert.possible_fine == (80_00, 200_00)


def test_a_box_refunded_on_the_same_claim_is_not_a_second_sale() -> None:
    refunded = claim("C1", items=(box("T-1"), box("T-1", "-1")))
    assert drug_trace_codes_sold_twice([refunded, claim("C2", items=(box("T-1"),))]) == []


def test_a_ct_repeated_within_30_days_is_flagged_wherever_it_was_done() -> None:
    first = claim("C1", hospital="H1", items=(Item(CT, Decimal(1)),))
    repeat = claim("C2", hospital="H2", at=MORNING + timedelta(days=30), fund=150_00, items=(Item(CT, Decimal(1)),))
    [alert] = repeated_large_equipment_exams([repeat, first], EXAMS)
    assert (alert.rule, alert.subject, alert.claim_ids, alert.fund_at_stake) == ("LARGE_EXAM_REPEATED", "P1", ("C1", "C2"), 150_00)
    assert alert.facts["days_apart"] == 30


def test_a_ct_31_days_later_is_a_new_exam() -> None:
    first = claim("C1", items=(Item(CT, Decimal(1)),))
    later = claim("C2", at=MORNING + timedelta(days=31), items=(Item(CT, Decimal(1)),))
    assert repeated_large_equipment_exams([first, later], EXAMS) == []


def test_an_mri_after_a_ct_is_not_a_repeat_nor_is_another_persons_ct() -> None:
    ct = claim("C1", items=(Item(CT, Decimal(1)),))
    mri = claim("C2", at=MORNING + timedelta(days=3), items=(Item(MRI, Decimal(1)),))
    other = claim("C3", psn="P2", at=MORNING + timedelta(days=3), items=(Item(CT, Decimal(1)),))
    assert repeated_large_equipment_exams([ct, mri, other], EXAMS) == []


def test_an_institution_at_twice_its_own_cost_per_visit_is_flagged() -> None:
    today = [claim(f"C{n}", total=400_00) for n in range(10)]
    [alert] = cost_per_visit_above_baseline(today, {"H1": (100, 100 * 200_00)})
    assert (alert.rule, alert.subject, alert.facts["ratio"]) == ("COST_PER_VISIT_ABOVE_BASELINE", "H1", 2.0)
    assert len(alert.claim_ids) == 10


def test_a_busy_day_at_the_usual_cost_or_too_few_visits_raises_nothing() -> None:
    usual = [claim(f"C{n}", total=210_00) for n in range(30)]
    few = [claim(f"D{n}", hospital="H2", total=900_00) for n in range(9)]
    assert cost_per_visit_above_baseline(usual + few, {"H1": (100, 100 * 200_00), "H2": (100, 100 * 200_00)}) == []


def test_cancellations_three_times_the_usual_rate_are_a_spike() -> None:
    [alert] = cancellation_spikes({"H1": 20}, {"H1": [f"C{n}" for n in range(6)]}, {"H1": (1000, 20)})
    assert (alert.rule, alert.subject, alert.facts["rate"], alert.facts["baseline_rate"]) == (
        "CANCELLATION_SPIKE", "H1", 0.3, 0.02)


def test_a_few_cancellations_or_an_institutions_usual_rate_are_not_a_spike() -> None:
    assert cancellation_spikes({"H1": 20}, {"H1": ["C1", "C2", "C3", "C4"]}, {"H1": (100, 0)}) == []
    assert cancellation_spikes({"H2": 20}, {"H2": [f"C{n}" for n in range(6)]}, {"H2": (100, 25)}) == []


def test_a_person_settling_at_four_institutions_in_one_day_is_flagged() -> None:
    visits = [claim(f"C{n}", hospital=f"H{n}", at=MORNING + timedelta(hours=n)) for n in range(4)]
    [alert] = many_institutions_one_day(visits)
    assert (alert.rule, alert.subject, alert.facts["day"]) == ("MANY_INSTITUTIONS_ONE_DAY", "P1", "2026-06-01")
    assert alert.fund_at_stake == 4 * 60_00


def test_visits_across_midnight_china_time_count_on_two_days() -> None:
    late = datetime(2026, 6, 1, 23, 0, tzinfo=CHINA_TIME)
    visits = [claim(f"C{n}", hospital=f"H{n}", at=late + timedelta(minutes=30 * n)) for n in range(4)]
    assert many_institutions_one_day(visits) == []


def test_a_sale_the_engine_refused_because_the_box_was_sold_is_still_an_alert_with_nothing_paid_twice() -> None:
    first = claim("C1", hospital="H1", items=(box("T-1"),))
    attempt = claim("C2", hospital="P9", at=MORNING + timedelta(hours=2), fund=0, items=(box("T-1"),))
    [alert] = drug_trace_codes_sold_twice([first], attempts=[attempt])
    assert (alert.claim_ids, alert.fund_at_stake, alert.facts["refused_attempts"]) == (("C1", "C2"), 0, 1)
