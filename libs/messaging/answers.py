"""Answers to the senders of records that cannot be decoded, so bad input is answered, not dropped.

A hospital whose claim is malformed (a field out of bounds, a NUL byte, an exponent bomb) learns why
from a `ClaimRejected` with reason code `INVALID_CLAIM`, as it would for a bill that does not add up;
an enrollment office, a wallet client or an office's reimbursement gets its service's refusal with
`INVALID_COMMAND`. The
answer needs the fields that route it (the claim id and the institution; the command id), read with
orjson and held to the contracts' bounds; when they cannot be read, the record is dead-lettered
instead (consumer.py). The reason names the fields at fault, never their values.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from libs.contracts.bounds import Id, Region
from libs.contracts.claims import ClaimRejected
from libs.contracts.enrollment import CommandRefused
from libs.contracts.envelope import Payload, new_envelope
from libs.contracts.reimbursement import ReimbursementRejected
from libs.contracts.topics import (
    CLAIMS_OUTCOMES, CLAIMS_SUBMITTED, ENROLLMENT_COMMANDS, ENROLLMENT_EVENTS, REIMBURSEMENTS_COMMANDS,
    REIMBURSEMENTS_OUTCOMES, WALLET_COMMANDS, WALLET_EVENTS, Topic,
)
from libs.contracts.wallet import WalletCommandRefused
from libs.messaging.consumer import Answer
from libs.messaging.emit import outgoing
from libs.messaging.records import OutgoingMessage, Record

INVALID_CLAIM = "INVALID_CLAIM"
INVALID_COMMAND = "INVALID_COMMAND"
UNKNOWN_PERSON = "UNKNOWN"  # psn_no of an answer whose request named none that could be read

_ID = TypeAdapter(Id)
_REGION = TypeAdapter(Region)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_COMMAND_IDS = ("command_id", "transfer_id", "payment_id", "credit_id")


def _id(value: Any, adapter: TypeAdapter[str] = _ID) -> str | None:
    try:
        return adapter.validate_python(value) if isinstance(value, str) else None
    except (ValidationError, ValueError):  # a lone surrogate is a UnicodeError, a ValueError
        return None


def _fields(record: Record) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The envelope and its payload as plain JSON objects, or None. The standard library's parser,
    with every number kept as its text: it reads what orjson refuses (a number beyond a double, as
    in 1E+999997) and never converts a number (Python's int() of 5,000 digits raises, slowly)."""
    try:
        data = json.loads(record.value or b"", parse_int=str, parse_float=str, parse_constant=str)
    except (ValueError, RecursionError):
        return None
    payload = data.get("payload") if isinstance(data, dict) else None
    return (data, payload) if isinstance(payload, dict) else None


def _causation(data: dict[str, Any]) -> str | None:
    try:
        return str(uuid.UUID(data.get("event_id")))
    except (TypeError, ValueError, AttributeError):
        return None


def _sentence(what: str, reason: str, then: str) -> str:
    return f"{what} could not be read ({_CONTROL.sub(' ', reason)[:300]}); {then}"


def claim_refusal(producer: str) -> Answer:
    """A `ClaimRejected` to the institution a malformed claim or cancel request names."""

    def answer(record: Record, reason: str) -> OutgoingMessage | None:
        fields = _fields(record)
        if fields is None:
            return None
        data, payload = fields
        claim_id, fixmedins_code = _id(payload.get("claim_id")), _id(payload.get("fixmedins_code"))
        if claim_id is None or fixmedins_code is None:
            return None
        rejected = ClaimRejected(
            claim_id=claim_id, fixmedins_code=fixmedins_code, psn_no=_id(payload.get("psn_no")) or UNKNOWN_PERSON,
            reason_code=INVALID_CLAIM,
            reason=_sentence(f"Claim {claim_id}", reason, "correct it in the HIS and send it again; nothing was settled."),
        )
        return _answer(CLAIMS_OUTCOMES, fixmedins_code, rejected, producer, claim_id, data)

    return answer


def command_refusal(producer: str) -> Answer:
    """An `EnrollmentCommandRefused` for a malformed enrollment command."""

    def answer(record: Record, reason: str) -> OutgoingMessage | None:
        fields = _fields(record)
        command_id = _id(fields[1].get("command_id")) if fields else None
        if fields is None or command_id is None:
            return None
        data, payload = fields
        psn_no = _id(payload.get("psn_no"))
        refused = CommandRefused(
            command_id=command_id, psn_no=psn_no, reason_code=INVALID_COMMAND, command_type=_id(data.get("event_type")),
            reason=_sentence(f"Command {command_id}", reason, "correct it and send it again; nothing was changed."),
        )
        return _answer(ENROLLMENT_EVENTS, psn_no or command_id, refused, producer, command_id, data)

    return answer


def wallet_refusal(producer: str) -> Answer:
    """A `WalletCommandRefused` for a malformed wallet command (its id and holder must be readable)."""

    def answer(record: Record, reason: str) -> OutgoingMessage | None:
        fields = _fields(record)
        if fields is None:
            return None
        data, payload = fields
        command_id = next((i for i in (_id(payload.get(k)) for k in _COMMAND_IDS) if i), None)
        psn_no, command_type = _id(payload.get("psn_no")), _id(data.get("event_type"))
        if command_id is None or psn_no is None or command_type is None:
            return None
        refused = WalletCommandRefused(
            command_id=command_id, command_type=command_type, psn_no=psn_no, reason_code=INVALID_COMMAND,
            reason=_sentence(f"Command {command_id}", reason, "correct it and send it again; no money moved."),
        )
        return _answer(WALLET_EVENTS, psn_no, refused, producer, command_id, data)

    return answer


def reimbursement_refusal(producer: str) -> Answer:
    """A `ReimbursementRejected` to the office of a malformed reimbursement command (its reference,
    region and person must be readable: the region keys the office's answers)."""

    def answer(record: Record, reason: str) -> OutgoingMessage | None:
        fields = _fields(record)
        if fields is None:
            return None
        data, payload = fields
        office_ref, region = _id(payload.get("office_ref")), _id(payload.get("insuplc_admdvs"), _REGION)
        psn_no = _id(payload.get("psn_no"))
        if office_ref is None or region is None or psn_no is None:
            return None
        rejected = ReimbursementRejected(
            office_ref=office_ref, insuplc_admdvs=region, psn_no=psn_no, reason_code=INVALID_COMMAND,
            reason=_sentence(f"Reimbursement {office_ref}", reason, "correct it and send it again; nothing was recorded."),
        )
        correlation = _id(data.get("correlation_id")) or office_ref
        return _answer(REIMBURSEMENTS_OUTCOMES, region, rejected, producer, correlation, data)

    return answer


def _answer(topic: Topic, key: str, payload: Payload, producer: str, correlation_id: str,
            data: dict[str, Any]) -> OutgoingMessage:
    envelope = new_envelope(payload, producer=producer, correlation_id=correlation_id, causation_id=_causation(data))
    return outgoing(topic, key, envelope)


ANSWERS: dict[str, Callable[[str], Answer]] = {
    CLAIMS_SUBMITTED.name: claim_refusal,
    ENROLLMENT_COMMANDS.name: command_refusal,
    WALLET_COMMANDS.name: wallet_refusal,
    REIMBURSEMENTS_COMMANDS.name: reimbursement_refusal,
}
"""The answer for undecodable records of each topic a service takes requests on."""
