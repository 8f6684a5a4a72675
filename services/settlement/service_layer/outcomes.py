"""Outcome messages built from a stored claim row, so a retry gets the same answer as the first time."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import orjson

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope
from libs.contracts.topics import CLAIMS_OUTCOMES
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction

PRODUCER = "settlement"


def _stored(row: asyncpg.Record) -> tuple[c.SettlementAmounts, list[c.FundDetail]]:
    amounts = c.SettlementAmounts.model_validate_json(row["amounts"])
    return amounts, [c.FundDetail.model_validate(d) for d in orjson.loads(row["setldetail"])]


def regions(row: asyncpg.Record) -> dict[str, str]:
    """Routing headers of a settled or cancelled claim: clearing keeps only cross-region ones."""
    return {"insuplc_admdvs": row["insuplc_admdvs"], "mdtrtarea_admvs": row["mdtrtarea_admvs"]}


def settled(tx: Transaction, row: asyncpg.Record, causation: Envelope) -> None:
    amounts, setldetail = _stored(row)
    wallet = orjson.loads(row["wallet"])
    emit(tx, CLAIMS_OUTCOMES, row["fixmedins_code"], c.ClaimSettled(
        claim_id=row["claim_id"], fixmedins_code=row["fixmedins_code"], psn_no=row["psn_no"],
        setl_id=row["setl_id"], insutype=row["insutype"], med_type=row["med_type"],
        insuplc_admdvs=row["insuplc_admdvs"], mdtrtarea_admvs=row["mdtrtarea_admvs"],
        setl_time=row["settled_at"] or datetime.now(UTC), amounts=amounts, setldetail=setldetail,
        explanation=orjson.loads(row["explanation"]), **wallet,
    ), producer=PRODUCER, correlation_id=row["claim_id"], causation=causation, headers=regions(row))


def cancelled(tx: Transaction, row: asyncpg.Record, causation: Envelope) -> None:
    amounts, setldetail = _stored(row)
    refund = orjson.loads(row["refund"])
    emit(tx, CLAIMS_OUTCOMES, row["fixmedins_code"], c.ClaimCancelled(
        claim_id=row["claim_id"], fixmedins_code=row["fixmedins_code"], psn_no=row["psn_no"],
        cancel_id=row["cancel_id"], setl_id=row["setl_id"], insuplc_admdvs=row["insuplc_admdvs"],
        mdtrtarea_admvs=row["mdtrtarea_admvs"], cancel_time=row["cancelled_at"] or datetime.now(UTC),
        amounts=amounts, setldetail=setldetail, **refund,
    ), producer=PRODUCER, correlation_id=row["claim_id"], causation=causation, headers=regions(row))


def rejected(tx: Transaction, claim_id: str, fixmedins_code: str, psn_no: str, code: str, reason: str,
             causation: Envelope) -> None:
    emit(tx, CLAIMS_OUTCOMES, fixmedins_code, c.ClaimRejected(
        claim_id=claim_id, fixmedins_code=fixmedins_code, psn_no=psn_no, reason_code=code, reason=reason,
    ), producer=PRODUCER, correlation_id=claim_id, causation=causation)
