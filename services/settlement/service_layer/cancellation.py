"""Cancel / reversal (2208, 2305, 2601): take back exactly what a settlement did.

Requested: the accumulators get the settlement's negated delta and the wallet is asked to refund.
Refunded: the traceability codes are released, the contra fund entries are posted and the hospital
is answered. Refused by the wallet: what was taken back is given back and the hospital is told. A second cancel of the same claim changes nothing (a cancelled claim answers again).
"""

from __future__ import annotations

import orjson
import structlog

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope
from libs.contracts.topics import CLAIMS_ADJUDICATED
from libs.messaging.emit import emit
from libs.contracts.wallet import PersonalPartRefused
from libs.messaging.ports import Transaction
from services.settlement.adapters import accumulators, repository as repo
from services.settlement.service_layer import outcomes

log = structlog.get_logger("settlement")


class CancellationHandlers:
    async def request(self, tx: Transaction, env: Envelope[c.ClaimCancelRequested]) -> None:
        req = env.payload
        row = await repo.get_claim(tx.conn, req.claim_id, for_update=True)

        def refuse(code: str, reason: str) -> None:
            outcomes.rejected(tx, req.claim_id, req.fixmedins_code, req.psn_no, code, reason, env)

        if row is None or row["fixmedins_code"] != req.fixmedins_code:
            refuse("CLAIM_NOT_FOUND", f"no settled claim {req.claim_id} at institution {req.fixmedins_code}")
        elif row["status"] == "adjudicated":
            refuse("CLAIM_IN_PROGRESS", f"claim {req.claim_id} is still being paid; send the cancellation again shortly")
        elif row["status"] == "cancelled":
            outcomes.cancelled(tx, row, env)  # asked again: answer again, change nothing
        elif row["status"] == "settled":
            delta = accumulators.delta_from_json(orjson.loads(row["accumulator_delta"])).negated()
            await repo.mark_cancelling(tx.conn, req.claim_id, req.cancel_id)
            await self._move_accumulators(tx, row, delta)
            emit(tx, CLAIMS_ADJUDICATED, row["psn_no"], c.ClaimCancellationAdjudicated(
                claim_id=req.claim_id, cancel_id=req.cancel_id, setl_id=row["setl_id"], psn_no=row["psn_no"],
                fixmedins_code=row["fixmedins_code"],
            ), producer=outcomes.PRODUCER, correlation_id=req.claim_id, causation=env)
        # 'cancelling': the wallet is refunding; the outcome follows by itself

    async def complete(self, tx: Transaction, env: Envelope[c.PersonalPartRefunded]) -> None:
        refunded = env.payload
        row = await repo.claim_answered_by_wallet(tx.conn, refunded.claim_id, refunded.setl_id)
        if row["status"] != "cancelling":
            log.info("refund_already_applied", setl_id=refunded.setl_id, status=row["status"])
            return
        refund = refunded.model_dump(include={"acct_pay", "acct_mulaid_pay", "psn_cash_pay"})
        await accumulators.release_sold(tx.conn, row["setl_id"])
        row = await repo.mark_cancelled(tx.conn, refunded.claim_id, refund)
        contra = [[account, credit, debit] for account, debit, credit in orjson.loads(row["postings"])]
        await repo.post_entries(tx.conn, row["setl_id"], "reverse", contra)
        outcomes.cancelled(tx, row, env)

    async def wallet_refused(self, tx: Transaction, env: Envelope[PersonalPartRefused]) -> None:
        """The wallet could not pay or refund: give back what adjudication took and tell the hospital."""
        refused = env.payload
        row = await repo.claim_answered_by_wallet(tx.conn, refused.claim_id, refused.setl_id)
        delta = accumulators.delta_from_json(orjson.loads(row["accumulator_delta"]))
        if row["status"] == "adjudicated":  # the payment was refused: the claim never settled
            await self._move_accumulators(tx, row, delta.negated())
            await accumulators.release_sold(tx.conn, row["setl_id"])
            await repo.mark_void(tx.conn, refused.claim_id, f"{refused.reason_code}: {refused.reason}")
            reason = f"the personal part could not be paid ({refused.reason}); nothing was settled"
        elif row["status"] == "cancelling":  # the refund was refused: the settlement stands
            await self._move_accumulators(tx, row, delta)
            await repo.restore_settled(tx.conn, refused.claim_id)
            reason = f"the personal part could not be refunded ({refused.reason}); the claim stays settled"
        else:
            log.info("wallet_refusal_ignored", setl_id=refused.setl_id, status=row["status"])
            return
        outcomes.rejected(tx, row["claim_id"], row["fixmedins_code"], row["psn_no"],
                          f"WALLET_{refused.reason_code}", reason, env)

    async def _move_accumulators(self, tx: Transaction, row, delta) -> None:
        await accumulators.read(tx.conn, row["psn_no"], delta.year, delta.service_date, for_update=True)
        await accumulators.apply(tx.conn, row["psn_no"], row["setl_id"], delta)
