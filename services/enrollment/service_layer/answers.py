"""What the service answers for a command, shared by the per-message path and the batch path.

A repeat is answered from the command log; a refusal is published as `EnrollmentCommandRefused`.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import orjson
import structlog

from libs.contracts import enrollment as w
from libs.contracts.envelope import Envelope, Payload
from libs.contracts.topics import ENROLLMENT_EVENTS
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction
from services.enrollment.domain.errors import CommandIdReused
from services.enrollment.service_layer.ports import CommandRecord
from services.enrollment.service_layer.snapshots import PRODUCER

log = structlog.get_logger("enrollment")


def payload_hash(payload: Payload) -> str:
    return hashlib.sha256(orjson.dumps(payload.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)).hexdigest()


def answer_repeat(tx: Transaction, env: Envelope[Any], known: CommandRecord, this: CommandRecord) -> w.CommandOutcome:
    """A command id already in the log: the same body gets the first answer, another body is refused."""
    if known.payload_hash != this.payload_hash:
        reused = CommandIdReused(
            f"Command id {this.command_id} was already used for a different {known.command_type}; "
            "give this command a new id.")
        refused = replace(this, reason_code=reused.reason_code, reason=str(reused))
        refuse(tx, env, refused)
        return outcome(refused)
    if known.refused:
        refuse(tx, env, known)  # the same answer again, for an office that missed it
    return outcome(known, repeated=True)


def refuse(tx: Transaction, env: Envelope[Any], record: CommandRecord) -> None:
    log.info("command_refused", command_id=record.command_id, command_type=record.command_type,
             reason_code=record.reason_code, reason=record.reason)
    emit(tx, ENROLLMENT_EVENTS, record.psn_no or record.command_id, w.CommandRefused(
        command_id=record.command_id, psn_no=record.psn_no, reason_code=record.reason_code or "",
        reason=record.reason or "", command_type=record.command_type,
    ), producer=PRODUCER, correlation_id=record.command_id, causation=env)


def outcome(record: CommandRecord, *, repeated: bool = False) -> w.CommandOutcome:
    return w.CommandOutcome(
        command_id=record.command_id, command_type=record.command_type, psn_no=record.psn_no,
        outcome="refused" if record.refused else "done", version=record.version,
        reason_code=record.reason_code, reason=record.reason, repeated=repeated,
    )
