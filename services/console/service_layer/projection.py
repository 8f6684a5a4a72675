"""The console's projection of the claims' flow: each message becomes a row (adapters/projection.py).

Thin on purpose: the rows are what the topics say, so replaying a topic rebuilds the same rows (the
runtime's inbox drops redeliveries; the tables' keys drop anything else seen twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope
from libs.messaging.ports import Transaction
from libs.messaging.postgres import PgTransaction
from services.console.adapters import projection

FUNDS = ("hifp_pay", "hifmi_pay", "hifob_pay", "maf_pay")


def submission_row(env: Envelope[c.ClaimSubmitted]) -> tuple[Any, ...] | None:
    claim = env.payload
    if claim.action != "settle":
        return None
    items = [{"code": line.med_list_codg, "cnt": str(line.cnt), "trace": list(line.drug_trac_codg)}
             for line in claim.fee_details]
    traces = sorted({code for line in claim.fee_details if line.cnt > 0 for code in line.drug_trac_codg})
    refunds = any(line.cnt < 0 for line in claim.fee_details)
    return (claim.claim_id, claim.fixmedins_code, claim.psn_no, claim.med_type, env.occurred_at, items, traces, refunds)


def outcome_row(env: Envelope[Any]) -> tuple[Any, ...]:
    o = env.payload
    kind = {"ClaimSettled": "settled", "ClaimPreSettled": "presettled", "ClaimRejected": "rejected",
            "ClaimCancelled": "cancelled"}[env.event_type]
    amounts = getattr(o, "amounts", None)
    money = [getattr(amounts, name, 0) if amounts else 0 for name in ("medfee_sumamt", "fund_pay_sumamt", *FUNDS)]
    wallet = [getattr(o, name, 0) for name in ("acct_pay", "acct_mulaid_pay", "psn_cash_pay")]
    return (env.event_id, o.claim_id, kind, o.fixmedins_code, o.psn_no, getattr(o, "reason_code", None),
            getattr(o, "reason", None), getattr(o, "setl_id", None), getattr(o, "med_type", None),
            getattr(o, "insuplc_admdvs", None), getattr(o, "mdtrtarea_admvs", None), *money, *wallet,
            list(getattr(o, "explanation", []) or []) or None, env.occurred_at)


async def submissions(tx: Transaction, envs: Sequence[Envelope[c.ClaimSubmitted]]) -> None:
    rows = [row for row in map(submission_row, envs) if row is not None]
    if rows:
        await projection.add_submissions(_conn(tx), rows)


async def outcomes(tx: Transaction, envs: Sequence[Envelope[Any]]) -> None:
    await projection.add_outcomes(_conn(tx), [outcome_row(env) for env in envs])


def _conn(tx: Transaction) -> Any:
    """The port has no connection; the console's runtime wires Postgres transactions (PgTransaction)."""
    return cast(PgTransaction, tx).conn


async def one_submission(tx: Transaction, env: Envelope[c.ClaimSubmitted]) -> None:
    await submissions(tx, [env])


async def one_outcome(tx: Transaction, env: Envelope[Any]) -> None:
    await outcomes(tx, [env])
