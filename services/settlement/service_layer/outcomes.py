"""Outcome messages built from a stored claim row, so a retry gets the same answer as the first time.

A direct claim is answered to the institution on `claims.outcomes`; a manual reimbursement to the
office of the insured region on `reimbursements.outcomes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from libs.contracts import claims as c
from libs.contracts import reimbursement as r
from libs.contracts.envelope import Envelope
from libs.contracts.topics import CLAIMS_OUTCOMES, REIMBURSEMENTS_OUTCOMES
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction

PRODUCER = "settlement"
Row = Mapping[str, Any]


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def _stored(row: Row) -> tuple[c.SettlementAmounts, list[c.FundDetail]]:
    raw = row["amounts"]
    amounts = (c.SettlementAmounts.model_validate_json(raw) if isinstance(raw, (str, bytes))
               else c.SettlementAmounts.model_validate(raw))
    return amounts, [c.FundDetail.model_validate(d) for d in _json(row["setldetail"])]


def is_reimbursement(row: Row) -> bool:
    return row.get("kind") == "reimbursement"


def regions(row: Row) -> dict[str, str]:
    """Routing headers of a settled or cancelled claim: clearing keeps only cross-region ones."""
    return {"insuplc_admdvs": row["insuplc_admdvs"], "mdtrtarea_admvs": row["mdtrtarea_admvs"]}


def _to_office(tx: Transaction, row: Row, payload: r._Outcome, causation: Envelope) -> None:
    emit(tx, REIMBURSEMENTS_OUTCOMES, row["insuplc_admdvs"], payload, producer=PRODUCER,
         correlation_id=row["claim_id"], causation=causation)


def settled(tx: Transaction, row: Row, causation: Envelope) -> None:
    amounts, setldetail = _stored(row)
    wallet = _json(row["wallet"])
    if is_reimbursement(row):
        accounts = wallet["acct_pay"] + wallet["acct_mulaid_pay"]
        _to_office(tx, row, r.ReimbursementSettled(
            office_ref=row["office_ref"], insuplc_admdvs=row["insuplc_admdvs"], psn_no=row["psn_no"],
            setl_id=row["setl_id"], mdtrtarea_admvs=row["mdtrtarea_admvs"], amounts=amounts, setldetail=setldetail,
            acct_pay=wallet["acct_pay"], acct_mulaid_pay=wallet["acct_mulaid_pay"],
            payable_amt=amounts.fund_pay_sumamt + accounts, explanation=_json(row["explanation"]),
            setl_time=row["settled_at"] or datetime.now(UTC)), causation)
        return
    emit(tx, CLAIMS_OUTCOMES, row["fixmedins_code"], c.ClaimSettled(
        claim_id=row["claim_id"], fixmedins_code=row["fixmedins_code"], psn_no=row["psn_no"],
        setl_id=row["setl_id"], insutype=row["insutype"], med_type=row["med_type"],
        insuplc_admdvs=row["insuplc_admdvs"], mdtrtarea_admvs=row["mdtrtarea_admvs"],
        setl_time=row["settled_at"] or datetime.now(UTC), amounts=amounts, setldetail=setldetail,
        explanation=_json(row["explanation"]), **wallet,
    ), producer=PRODUCER, correlation_id=row["claim_id"], causation=causation, headers=regions(row))


def cancelled(tx: Transaction, row: Row, causation: Envelope) -> None:
    amounts, setldetail = _stored(row)
    if is_reimbursement(row):
        _to_office(tx, row, r.ReimbursementCancelled(
            office_ref=row["office_ref"], insuplc_admdvs=row["insuplc_admdvs"], psn_no=row["psn_no"],
            setl_id=row["setl_id"], amounts=amounts), causation)
        return
    refund = _json(row["refund"])
    emit(tx, CLAIMS_OUTCOMES, row["fixmedins_code"], c.ClaimCancelled(
        claim_id=row["claim_id"], fixmedins_code=row["fixmedins_code"], psn_no=row["psn_no"],
        cancel_id=row["cancel_id"], setl_id=row["setl_id"], insuplc_admdvs=row["insuplc_admdvs"],
        mdtrtarea_admvs=row["mdtrtarea_admvs"], cancel_time=row["cancelled_at"] or datetime.now(UTC),
        amounts=amounts, setldetail=setldetail, **refund,
    ), producer=PRODUCER, correlation_id=row["claim_id"], causation=causation, headers=regions(row))


def paid_out(tx: Transaction, row: Row, causation: Envelope) -> None:
    payout = _json(row["payout"])
    _to_office(tx, row, r.ReimbursementPaidOut(
        office_ref=row["office_ref"], insuplc_admdvs=row["insuplc_admdvs"], psn_no=row["psn_no"],
        setl_id=row["setl_id"], bank_ref=payout["bank_ref"], amount=payout["amount"]), causation)


def refused(tx: Transaction, row: Row, code: str, reason: str, causation: Envelope) -> None:
    """A stored claim's request was refused (the wallet could not pay, or a cancel not allowed)."""
    if is_reimbursement(row):
        reimbursement_rejected(tx, row["office_ref"], row["insuplc_admdvs"], row["psn_no"], code, reason, causation,
                               correlation_id=row["claim_id"])
    else:
        rejected(tx, row["claim_id"], row["fixmedins_code"], row["psn_no"], code, reason, causation)


def rejected(tx: Transaction, claim_id: str, fixmedins_code: str, psn_no: str, code: str, reason: str,
             causation: Envelope) -> None:
    emit(tx, CLAIMS_OUTCOMES, fixmedins_code, c.ClaimRejected(
        claim_id=claim_id, fixmedins_code=fixmedins_code, psn_no=psn_no, reason_code=code, reason=reason,
    ), producer=PRODUCER, correlation_id=claim_id, causation=causation)


def reimbursement_rejected(tx: Transaction, office_ref: str, region: str, psn_no: str, code: str, reason: str,
                           causation: Envelope, *, correlation_id: str) -> None:
    emit(tx, REIMBURSEMENTS_OUTCOMES, region, r.ReimbursementRejected(
        office_ref=office_ref, insuplc_admdvs=region, psn_no=psn_no, reason_code=code, reason=reason,
    ), producer=PRODUCER, correlation_id=correlation_id, causation=causation)
