"""Clearing handlers for the walking skeleton: record cross-region settlements as obligations."""

from __future__ import annotations

from typing import Any

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope
from libs.messaging.ports import Transaction


class ClearingHandlers:
    def outcomes_table(self) -> dict[type, Any]:
        return {c.ClaimSettled: self.record_obligation, c.ClaimRejected: _ignore, c.ClaimPreSettled: _ignore}

    async def record_obligation(self, tx: Transaction, env: Envelope[c.ClaimSettled]) -> None:
        s = env.payload
        if s.insuplc_admdvs == s.mdtrtarea_admvs:
            return
        await tx.conn.executemany(
            "INSERT INTO obligations (setl_id, kind, fund_pay_type, claim_id, fixmedins_code, payer_admdvs,"
            " payee_admdvs, cross_province, amount) VALUES ($1, 'settle', $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT DO NOTHING",
            [(s.setl_id, d.fund_pay_type, s.claim_id, s.fixmedins_code, s.insuplc_admdvs, s.mdtrtarea_admvs,
              s.insuplc_admdvs[:2] != s.mdtrtarea_admvs[:2], d.fund_payamt) for d in s.setldetail if d.fund_payamt],
        )


async def _ignore(tx: Transaction, env: Envelope[Any]) -> None:
    """Outcomes that create no obligation."""
