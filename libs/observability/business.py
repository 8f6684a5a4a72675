"""Business metrics counted from what a transaction committed to the outbox.

A committed outbox row is a fact that will be published: counting there (after commit, once per
transaction, never for a rolled-back attempt) needs no call in any service's handlers. Only the rows
of the few types below are read back (orjson, a few microseconds each); the others cost one dict
look-up. A process counts the rows it committed; Prometheus sums the processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from libs.messaging.records import OutgoingMessage
from libs.observability import metrics as m
from libs.observability import tracing


def _outcome(outcome: str) -> Callable[[OutgoingMessage, dict[str, Any]], None]:
    def observe(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
        p = envelope["payload"]
        m.CLAIMS.labels(outcome, p.get("reason_code", ""), p.get("fixmedins_code", "")).inc()
        origin = tracing.origin_time(msg.headers)
        if origin is not None:
            m.REPLY_SECONDS.labels(outcome).observe(max(0.0, time.time() - origin))
    return observe


def _settled(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    _outcome("settled")(msg, envelope)
    p = envelope["payload"]
    region = p["insuplc_admdvs"]
    for detail in p.get("setldetail", ()):
        if detail["fund_payamt"]:
            m.FUND_PAID.labels(detail["fund_pay_type"], region).inc(detail["fund_payamt"])
    for via, field in (("acct", "acct_pay"), ("mulaid", "acct_mulaid_pay"), ("cash", "psn_cash_pay")):
        if p.get(field):
            m.PERSONAL_PAID.labels(via).inc(p[field])
    if p.get("acct_mulaid_pay"):
        m.MUTUAL_AID_PAYMENTS.inc()


def _cancelled(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    _outcome("cancelled")(msg, envelope)
    p = envelope["payload"]
    for detail in p.get("setldetail", ()):
        if detail["fund_payamt"]:
            m.FUND_REVERSED.labels(detail["fund_pay_type"], p["insuplc_admdvs"]).inc(detail["fund_payamt"])


def _transfer(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    m.WALLET_TRANSFERS.inc()
    m.WALLET_TRANSFERRED.inc(envelope["payload"]["amount"])


def _premium(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    m.RELATIVE_PREMIUMS.inc(envelope["payload"]["amount"])


def _refused(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    m.WALLET_REFUSALS.labels(envelope["payload"]["reason_code"]).inc()


def _reconciled(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    p = envelope["payload"]
    m.RECONCILIATIONS.labels("balanced" if p["balanced"] else "mismatch").inc()
    m.RECONCILIATION_MISMATCHED.set(0 if p["balanced"] else
                                    max(1, p["missing_in_clearing"] + p["missing_in_settlement"] + p["amount_differs"]))


OBSERVED: dict[str, Callable[[OutgoingMessage, dict[str, Any]], None]] = {
    "ClaimSettled": _settled,
    "ClaimPreSettled": _outcome("presettled"),
    "ClaimRejected": _outcome("rejected"),
    "ClaimCancelled": _cancelled,
    "TransferCompleted": _transfer,
    "RelativePremiumPaid": _premium,
    "WalletCommandRefused": _refused,
    "PersonalPartRefused": _refused,
    "ReconciliationCompleted": _reconciled,
}


def observe_committed(committed: Sequence[tuple[int, OutgoingMessage]]) -> None:
    """Count the facts among the outbox rows a transaction just committed."""
    for _, msg in committed:
        observe = OBSERVED.get(msg.headers.get("event_type", ""))
        if observe is not None:
            try:
                observe(msg, orjson.loads(msg.value))
            except (KeyError, TypeError, ValueError):  # a metric never stands in the way of a message
                continue
