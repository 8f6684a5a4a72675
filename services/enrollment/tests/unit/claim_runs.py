"""A run of claim outcomes that takes every branch of the batch path, shared by the unit and integration tests.

`HISTORY` is sent first, one command at a time; `run_envelopes()` is the run, on the next day, so every
snapshot it touches also moves on a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from libs.contracts.envelope import Envelope, Payload, new_envelope
from libs.contracts.registry import decode
from libs.messaging.records import OutgoingMessage
from services.enrollment.tests.unit.service_kit import JUNE_2026, cancelled_claim, resident, settled_claim

RUN_DAY = JUNE_2026 + timedelta(days=1)


def history() -> list[Payload]:
    return [
        resident("P1", 1), resident("P2", 2),
        settled_claim("OLD-2026", "P1", datetime(2026, 3, 1, 9), 3_000),
        settled_claim("OLD-2024", "P1", datetime(2024, 3, 1, 9), 3_000),
        cancelled_claim("NEVER", "P2", "X0"),  # refused: nothing recorded for P2
    ]


def run() -> list[Payload]:
    return [
        settled_claim("C1", "P1", datetime(2026, 5, 1, 9), 5_000),  # this year: the snapshot's content stays
        settled_claim("C0", "P1", datetime(2025, 5, 1, 9), 5_000),  # last year: one no-claim year fewer
        settled_claim("C2", "P2", datetime(2025, 5, 1, 9), 0),  # nothing paid: 2025 stays a no-claim year
        cancelled_claim("C0", "P1", "K1"),  # a cancel after its settle in the same run: the year is back
        settled_claim("C9", "NOBODY", datetime(2026, 5, 1, 9), 1_000),  # unknown person: refused
        settled_claim("C1", "P1", datetime(2026, 5, 1, 9), 5_000),  # a repeat of a claim earlier in the run
        settled_claim("OLD-2026", "P1", datetime(2026, 3, 1, 9), 3_000),  # a repeat of a claim before the run
        cancelled_claim("C0", "P1", "K2"),  # a second cancellation: REIMBURSEMENT_NOT_FOUND
        settled_claim("C9", "NOBODY", datetime(2026, 5, 1, 9), 1_000),  # a refusal repeated: the refusal again
        cancelled_claim("NEVER", "P2", "X0"),  # refused before the run: the refusal again
        settled_claim("C1", "P1", datetime(2026, 5, 1, 9), 7_000),  # the id of C1 for another body: COMMAND_ID_REUSED
        cancelled_claim("OLD-2024", "P1", "K3"),  # a claim from before the run: one no-claim year more
        settled_claim("C5", "P2", datetime(2024, 5, 1, 9), 100),  # the other person, further back
        settled_claim("C6", "P1", datetime(2025, 7, 1, 9), -1),  # a negative fund payment: INVALID_AMOUNT
    ]


EXPECTED_REFUSALS = ["UNKNOWN_PERSON", "REIMBURSEMENT_NOT_FOUND", "UNKNOWN_PERSON", "REIMBURSEMENT_NOT_FOUND",
                     "COMMAND_ID_REUSED", "INVALID_AMOUNT"]


def envelopes(payloads: Sequence[Payload], at: datetime = RUN_DAY) -> list[Envelope[Any]]:
    return [new_envelope(p, producer="test", correlation_id=getattr(p, "claim_id", None) or p.command_id,  # type: ignore[attr-defined]  # every command has it; Payload does not say
                         occurred_at=at) for p in payloads]


def outgoing(messages: list[OutgoingMessage]) -> list[tuple[Any, ...]]:
    """What went out, without what differs by construction (the new envelopes' ids and times)."""
    found = []
    for m in messages:
        env = decode(m.value)
        found.append((m.topic, m.key, env.event_type, env.correlation_id, env.causation_id,
                      env.payload.model_dump(mode="json")))
    return found
