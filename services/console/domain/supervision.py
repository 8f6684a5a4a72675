"""Fund supervision (基金监管): the red flags a supervision officer follows up, as pure functions.

Each rule reads settled claims (what the funds paid) and returns alerts naming the claims behind
them. The numbers the sources give are used as they are (../shared/DOMAIN.md): one traceability code
sold twice is a red flag; a large-equipment exam repeated within 30 days of the first is not
reimbursable; fraud is sanctioned with fines of 2 to 5 times the amount obtained. Where the sources
give no number (how far above its own baseline, how many institutions in a day), the threshold is a
parameter with a stated default (docs/operations.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise

from libs.china_time import china_date

REPEAT_EXAM_WINDOW_DAYS = 30  # DOMAIN.md §4: a repeat large-equipment exam within 30 days is not reimbursable
FINE_MULTIPLES = (2, 5)  # DOMAIN.md §4: fines of 2–5× the amount obtained
BASELINE_FACTOR = 2.0  # cost per visit: alert at twice the institution's own baseline
BASELINE_MIN_VISITS = 10  # …when both the day and the baseline have at least this many visits
CANCEL_SPIKE_FACTOR = 3.0  # cancellations per settlement: alert at three times the institution's own rate
CANCEL_SPIKE_MIN = 5  # …and at least this many cancellations in the window
CANCEL_SPIKE_FLOOR = 0.10  # …and a rate of at least 10 % (a baseline of zero is not a licence to alert on one)
MANY_INSTITUTIONS = 4  # settled at this many institutions or more on one day


@dataclass(frozen=True)
class Item:
    med_list_codg: str
    cnt: Decimal
    trace_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SettledClaim:
    claim_id: str
    psn_no: str
    fixmedins_code: str
    settled_at: datetime  # timezone-aware
    medfee_sumamt: int  # fen
    fund_pay_sumamt: int  # fen
    items: tuple[Item, ...] = ()

    @property
    def china_day(self) -> date:
        return china_date(self.settled_at)


@dataclass(frozen=True)
class Alert:
    rule: str
    subject: str  # what the alert is about: a code, a person, an institution
    claim_ids: tuple[str, ...]
    fund_at_stake: int  # fen the funds paid that may have been obtained wrongly (0 when not one amount)
    facts: Mapping[str, object] = field(default_factory=dict)

    @property
    def possible_fine(self) -> tuple[int, int]:
        low, high = FINE_MULTIPLES
        return self.fund_at_stake * low, self.fund_at_stake * high


def drug_trace_codes_sold_twice(claims: Iterable[SettledClaim], attempts: Iterable[SettledClaim] = ()) -> list[Alert]:
    """Every box has a unique traceability code (追溯码): a code sold on two lines is a red flag.
    A refund line (negative count) carrying the code takes one sale back. `attempts` are claims the
    engine refused because a code was already sold: nothing was paid, but the institution tried."""
    sales: dict[str, list[SettledClaim]] = defaultdict(list)
    for claim in claims:
        for item in claim.items:
            for code in item.trace_codes:
                if item.cnt > 0:
                    sales[code].append(claim)
                elif sales[code] and sales[code][-1].claim_id == claim.claim_id:
                    sales[code].pop()
    tried: dict[str, list[SettledClaim]] = defaultdict(list)
    for claim in attempts:
        for code in {code for item in claim.items if item.cnt > 0 for code in item.trace_codes}:
            tried[code].append(claim)
    alerts = []
    for code in sorted(set(sales) | set(tried)):
        sold, again = sales.get(code, []), tried.get(code, [])
        if len(sold) + len(again) >= 2:
            behind = sorted(sold + again, key=lambda c: c.settled_at)
            alerts.append(Alert("DRUG_TRACE_CODE_SOLD_TWICE", code, tuple(c.claim_id for c in behind),
                                sum(c.fund_pay_sumamt for c in sold[1:]),
                                {"times_sold": len(sold), "refused_attempts": len(again),
                                 "institutions": sorted({c.fixmedins_code for c in behind})}))
    return alerts


def repeated_large_equipment_exams(claims: Iterable[SettledClaim], exam_codes: frozenset[str],
                                   window_days: int = REPEAT_EXAM_WINDOW_DAYS) -> list[Alert]:
    """The same exam for the same person within `window_days` of the previous one, wherever done."""
    done: dict[tuple[str, str], list[SettledClaim]] = defaultdict(list)
    for claim in claims:
        for code in {i.med_list_codg for i in claim.items if i.med_list_codg in exam_codes and i.cnt > 0}:
            done[(claim.psn_no, code)].append(claim)
    alerts = []
    for (psn_no, code), exams in sorted(done.items()):
        exams.sort(key=lambda c: c.settled_at)
        for first, repeat in pairwise(exams):
            days = (repeat.china_day - first.china_day).days
            if days <= window_days:
                alerts.append(Alert("LARGE_EXAM_REPEATED", psn_no, (first.claim_id, repeat.claim_id),
                                    repeat.fund_pay_sumamt, {"exam": code, "days_apart": days,
                                                             "institutions": [first.fixmedins_code, repeat.fixmedins_code]}))
    return alerts


def cost_per_visit_above_baseline(today: Iterable[SettledClaim], baseline: Mapping[str, tuple[int, int]],
                                  factor: float = BASELINE_FACTOR, min_visits: int = BASELINE_MIN_VISITS) -> list[Alert]:
    """An institution whose cost per visit today is `factor` times its own baseline.
    `baseline`: institution -> (visits, total medfee_sumamt in fen) over its earlier days."""
    by_institution: dict[str, list[SettledClaim]] = defaultdict(list)
    for claim in today:
        by_institution[claim.fixmedins_code].append(claim)
    alerts = []
    for code, visits in sorted(by_institution.items()):
        base_visits, base_total = baseline.get(code, (0, 0))
        if len(visits) < min_visits or base_visits < min_visits or base_total <= 0:
            continue
        per_visit = sum(c.medfee_sumamt for c in visits) // len(visits)
        base_per_visit = base_total // base_visits
        if per_visit >= factor * base_per_visit:
            top = sorted(visits, key=lambda c: -c.medfee_sumamt)[:20]
            alerts.append(Alert("COST_PER_VISIT_ABOVE_BASELINE", code, tuple(c.claim_id for c in top),
                                0,
                                {"visits": len(visits), "cost_per_visit": per_visit,
                                 "baseline_per_visit": base_per_visit,
                                 "ratio": round(per_visit / base_per_visit, 2)}))
    return alerts


def cancellation_spikes(settled: Mapping[str, int], cancelled: Mapping[str, list[str]],
                        baseline: Mapping[str, tuple[int, int]], factor: float = CANCEL_SPIKE_FACTOR,
                        min_cancellations: int = CANCEL_SPIKE_MIN, floor: float = CANCEL_SPIKE_FLOOR) -> list[Alert]:
    """An institution cancelling (refunding) far more of its settlements than it usually does.
    `settled`: settlements in the window; `cancelled`: the claim ids taken back in it (cancelled, or
    settled with a refund line);
    `baseline`: institution -> (settlements, cancellations) over its earlier days."""
    alerts = []
    for code, claim_ids in sorted(cancelled.items()):
        count = len(claim_ids)
        rate = count / max(settled.get(code, 0), count)
        base_settled, base_cancelled = baseline.get(code, (0, 0))
        base_rate = base_cancelled / base_settled if base_settled else 0.0
        if count >= min_cancellations and rate >= max(floor, factor * base_rate):
            alerts.append(Alert("CANCELLATION_SPIKE", code, tuple(claim_ids), 0,
                                {"cancellations": count, "rate": round(rate, 3), "baseline_rate": round(base_rate, 3)}))
    return alerts


def many_institutions_one_day(claims: Iterable[SettledClaim], threshold: int = MANY_INSTITUTIONS) -> list[Alert]:
    """A person settling at `threshold` or more institutions on one day (China time)."""
    days: dict[tuple[str, date], list[SettledClaim]] = defaultdict(list)
    for claim in claims:
        days[(claim.psn_no, claim.china_day)].append(claim)
    alerts = []
    for (psn_no, day), visits in sorted(days.items()):
        places = sorted({c.fixmedins_code for c in visits})
        if len(places) >= threshold:
            alerts.append(Alert("MANY_INSTITUTIONS_ONE_DAY", psn_no, tuple(c.claim_id for c in visits),
                                sum(c.fund_pay_sumamt for c in visits),
                                {"day": day.isoformat(), "institutions": places}))
    return alerts
