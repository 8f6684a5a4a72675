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


def _child(metric: Any, *labels: str) -> Any:
    """`metric.labels(*labels)`, kept: prometheus_client validates and locks on every `labels` call."""
    key = (id(metric), labels)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*labels)
    return child


_CHILDREN: dict[tuple[int, tuple[str, ...]], Any] = {}


def _outcome(outcome: str) -> Callable[[OutgoingMessage, dict[str, Any]], None]:
    def observe(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
        p = envelope["payload"]
        _child(m.CLAIMS, outcome, p.get("reason_code", ""), p.get("fixmedins_code", "")).inc()
        origin = tracing.origin_time(msg.headers)
        if origin is not None:
            _child(m.REPLY_SECONDS, outcome).observe(max(0.0, time.time() - origin))
    return observe


_settled_outcome, _cancelled_outcome = _outcome("settled"), _outcome("cancelled")


def _settled(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    _settled_outcome(msg, envelope)
    p = envelope["payload"]
    region = p["insuplc_admdvs"]
    for detail in p.get("setldetail", ()):
        if detail["fund_payamt"]:
            _child(m.FUND_PAID, detail["fund_pay_type"], region).inc(detail["fund_payamt"])
    for via, field in (("acct", "acct_pay"), ("mulaid", "acct_mulaid_pay"), ("cash", "psn_cash_pay")):
        if p.get(field):
            _child(m.PERSONAL_PAID, via).inc(p[field])
    if p.get("acct_mulaid_pay"):
        m.MUTUAL_AID_PAYMENTS.inc()


def _cancelled(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    _cancelled_outcome(msg, envelope)
    p = envelope["payload"]
    for detail in p.get("setldetail", ()):
        if detail["fund_payamt"]:
            _child(m.FUND_REVERSED, detail["fund_pay_type"], p["insuplc_admdvs"]).inc(detail["fund_payamt"])


def _reimbursement(outcome: str) -> Callable[[OutgoingMessage, dict[str, Any]], None]:
    def observe(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
        p = envelope["payload"]
        _child(m.REIMBURSEMENTS, outcome, p.get("reason_code", "")).inc()
        for detail in p.get("setldetail", ()) if outcome == "settled" else ():
            if detail["fund_payamt"]:
                _child(m.FUND_PAID, detail["fund_pay_type"], p["insuplc_admdvs"]).inc(detail["fund_payamt"])
    return observe


def _transfer(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    m.WALLET_TRANSFERS.inc()
    m.WALLET_TRANSFERRED.inc(envelope["payload"]["amount"])


def _premium(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    m.RELATIVE_PREMIUMS.inc(envelope["payload"]["amount"])


def _refused(msg: OutgoingMessage, envelope: dict[str, Any]) -> None:
    _child(m.WALLET_REFUSALS, envelope["payload"]["reason_code"]).inc()


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
    "ReimbursementSettled": _reimbursement("settled"),
    "ReimbursementRejected": _reimbursement("rejected"),
    "ReimbursementCancelled": _reimbursement("cancelled"),
    "ReimbursementPaidOut": _reimbursement("paid_out"),
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
