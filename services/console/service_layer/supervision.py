"""The Supervision page: every rule run over its window of the projection, newest facts first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from libs.china_time import CHINA_TIME
from services.console.adapters import supervision_facts as facts
from services.console.domain import supervision as rules

BASELINE_DAYS = 28
SPIKE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class SupervisionWindows:
    trace_days: int = 90
    exam_days: int = rules.REPEAT_EXAM_WINDOW_DAYS + 1


async def alerts(conn: Any, now: datetime, exam_codes: frozenset[str],
                 windows: SupervisionWindows = SupervisionWindows()) -> list[rules.Alert]:
    day_start = now.astimezone(CHINA_TIME).replace(hour=0, minute=0, second=0, microsecond=0)
    since = now - timedelta(days=windows.trace_days)
    attempts = await facts.refused_for_reused_codes(conn, since)
    tried = sorted({code for claim in attempts for item in claim.items for code in item.trace_codes})
    sold = {c.claim_id: c for c in await facts.sharing_trace_codes(conn, since) + await facts.sold_codes(conn, since, tried)}
    found = rules.drug_trace_codes_sold_twice(sorted(sold.values(), key=lambda c: c.settled_at), attempts)
    found += rules.repeated_large_equipment_exams(
        await facts.with_exams(conn, now - timedelta(days=windows.exam_days), exam_codes), exam_codes)
    baseline = await facts.visits_between(conn, day_start - timedelta(days=BASELINE_DAYS), day_start)
    found += rules.cost_per_visit_above_baseline(await facts.settled_since(conn, day_start), baseline)
    settled, cancelled, _ = await facts.cancellations_between(conn, now - SPIKE_WINDOW, now + timedelta(seconds=1))
    base_settled, _, base_cancelled = await facts.cancellations_between(
        conn, day_start - timedelta(days=BASELINE_DAYS), now - SPIKE_WINDOW)
    found += rules.cancellation_spikes(settled, cancelled, {
        code: (base_settled.get(code, 0), base_cancelled.get(code, 0)) for code in cancelled})
    found += rules.many_institutions_one_day(
        await facts.people_at_many_places(conn, day_start - timedelta(days=1), rules.MANY_INSTITUTIONS))
    return found


def alert_view(alert: rules.Alert) -> dict[str, Any]:
    low, high = alert.possible_fine
    return {"rule": alert.rule, "subject": alert.subject, "claim_ids": list(alert.claim_ids),
            "fund_at_stake": alert.fund_at_stake, "possible_fine": [low, high], "facts": dict(alert.facts)}
