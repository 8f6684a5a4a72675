"""The report half of `PostgresClearingRepository`: every list a page at a time, every total summed here.

Keyset paging (docs/security.md, Paging): `key > $after ORDER BY key LIMIT $limit`, text keys in
codepoint order (`COLLATE "C"`), so a page costs its own rows whatever the cycle's size, and rows
inserted meanwhile never shift a later page.
"""

from __future__ import annotations

import asyncpg

from libs.money import Fen
from services.clearing.adapters import rows
from services.clearing.domain import ClearingCycle, Counterparty, InstitutionPayable, InstitutionTotal, NetPosition
from services.clearing.domain.ports import NetPositionTotals

_CYCLE = "SELECT cycle_id, scope_key, period_start, period_end, opened_at, status, closed_at, close_reason FROM cycles"
_POSITION = "SELECT cycle_id, admdvs, gross_payable, gross_receivable, prepayment_applied FROM net_positions"
# An item of an institution is a claim whose rows in the cycle do not net to nothing, fund by fund.
_ITEMS = (
    "SELECT setl_id, sum(amount) AS amount FROM ("
    "  SELECT setl_id, fund_pay_type, sum(amount) AS amount FROM obligations"
    "  WHERE cycle_id = $1 AND fixmedins_code = $2 {where} GROUP BY setl_id, fund_pay_type) funds"
    " GROUP BY setl_id HAVING bool_or(amount <> 0)"
)


class PostgresReports:
    conn: asyncpg.Connection

    async def cycles(self, scope_key: str | None = None, after: str | None = None,
                     limit: int | None = None) -> list[ClearingCycle]:
        found = await self.conn.fetch(
            f"{_CYCLE} WHERE ($1::text IS NULL OR scope_key = $1)"
            ' AND ($2::text IS NULL OR cycle_id COLLATE "C" > $2) ORDER BY cycle_id COLLATE "C" LIMIT $3',
            scope_key, after, limit,
        )
        return [rows.cycle(r) for r in found]

    async def net_positions(self, cycle_id: str, after: str | None = None, limit: int | None = None,
                            admdvs: str | None = None) -> list[NetPosition]:
        found = await self.conn.fetch(
            f"{_POSITION} WHERE cycle_id = $1 AND ($2::text IS NULL OR admdvs > $2) AND ($3::text IS NULL OR admdvs = $3)"
            " ORDER BY admdvs LIMIT $4", cycle_id, after, admdvs, limit,
        )
        return [NetPosition(**dict(r)) for r in found]

    async def net_position_totals(self, cycle_id: str) -> NetPositionTotals:
        found = await self.conn.fetchrow(
            "SELECT coalesce(sum(net), 0) AS sum_of_nets, coalesce(sum(prepayment_applied), 0) AS prepayment_applied,"
            " coalesce(sum(cash_to_pay), 0) AS cash_to_pay, coalesce(sum(cash_to_receive), 0) AS cash_to_receive"
            " FROM net_positions WHERE cycle_id = $1", cycle_id,
        )
        assert found is not None  # sums without GROUP BY: always one row
        return NetPositionTotals(**{name: int(value) for name, value in found.items()})

    async def counterparties(self, cycle_id: str, admdvs: str, after: str | None, limit: int) -> list[Counterparty]:
        found = await self.conn.fetch(
            "WITH pairs AS ("
            "  SELECT insuplc_admdvs, mdtrtarea_admvs, sum(amount) AS amount FROM obligations"
            "  WHERE cycle_id = $1 AND kind <> 'returned' AND (insuplc_admdvs = $2 OR mdtrtarea_admvs = $2)"
            "  GROUP BY insuplc_admdvs, mdtrtarea_admvs HAVING sum(amount) <> 0),"
            " sides AS ("  # an insured region owes a positive pair total; the treatment region, a negative one
            "  SELECT CASE WHEN insuplc_admdvs = $2 THEN mdtrtarea_admvs ELSE insuplc_admdvs END AS other,"
            "         (insuplc_admdvs = $2) = (amount > 0) AS owes, abs(amount) AS amount FROM pairs)"
            " SELECT other, coalesce(sum(amount) FILTER (WHERE owes), 0) AS payable,"
            "        coalesce(sum(amount) FILTER (WHERE NOT owes), 0) AS receivable"
            " FROM sides WHERE $3::text IS NULL OR other > $3 GROUP BY other ORDER BY other LIMIT $4",
            cycle_id, admdvs, after, limit,
        )
        return [Counterparty(r["other"], int(r["payable"]), int(r["receivable"])) for r in found]

    async def institution_totals(self, cycle_id: str, fixmedins_code: str | None = None,
                                 after: tuple[str, str] | None = None, limit: int | None = None) -> list[InstitutionTotal]:
        found = await self.conn.fetch(
            "WITH shown AS (SELECT fixmedins_code, mdtrtarea_admvs FROM obligations WHERE cycle_id = $1"
            "  AND ($2::text IS NULL OR fixmedins_code = $2)"
            '  AND ($3::text IS NULL OR (fixmedins_code COLLATE "C", mdtrtarea_admvs) > ($3 COLLATE "C", $4))'
            '  GROUP BY fixmedins_code, mdtrtarea_admvs ORDER BY fixmedins_code COLLATE "C", mdtrtarea_admvs LIMIT $5)'
            " SELECT cycle_id, fixmedins_code, mdtrtarea_admvs, insuplc_admdvs, sum(amount) AS amount FROM obligations"
            " WHERE cycle_id = $1 AND (fixmedins_code, mdtrtarea_admvs) IN (SELECT * FROM shown)"
            " GROUP BY cycle_id, fixmedins_code, mdtrtarea_admvs, insuplc_admdvs"
            ' ORDER BY fixmedins_code COLLATE "C", mdtrtarea_admvs, insuplc_admdvs',
            cycle_id, fixmedins_code, *(after or (None, None)), limit,
        )
        return [InstitutionTotal(**{**dict(r), "amount": int(r["amount"])}) for r in found]

    async def item_ids(self, cycle_id: str, fixmedins_code: str, after: str | None, limit: int) -> list[str]:
        found = await self.conn.fetch(
            _ITEMS.format(where='AND ($3::text IS NULL OR setl_id COLLATE "C" > $3)') + ' ORDER BY setl_id COLLATE "C" LIMIT $4',
            cycle_id, fixmedins_code, after, limit,
        )
        return [r["setl_id"] for r in found]

    async def institution_payable(self, cycle_id: str, fixmedins_code: str) -> InstitutionPayable:
        found = await self.conn.fetch(
            "SELECT CASE WHEN EXISTS (SELECT FROM confirmations c WHERE c.cycle_id = $1 AND c.setl_id = items.setl_id"
            "                          AND c.decision = 'rolled_back') THEN 'rolled_back'"
            "            WHEN EXISTS (SELECT FROM confirmations c WHERE c.cycle_id = $1 AND c.setl_id = items.setl_id)"
            "            THEN 'confirmed' ELSE 'pending' END AS status, sum(amount) AS amount"
            f" FROM ({_ITEMS.format(where='')}) items GROUP BY status", cycle_id, fixmedins_code,
        )
        sums = {r["status"]: int(r["amount"]) for r in found}
        return InstitutionPayable(**{s: sums.get(s, 0) for s in ("confirmed", "pending", "rolled_back")})

    async def prepayment_balances(self, scope_key: str, after: str | None, limit: int) -> list[tuple[str, Fen]]:
        found = await self.conn.fetch(
            "SELECT admdvs, sum(CASE kind WHEN 'advanced' THEN amount ELSE -amount END) AS balance FROM prepayments"
            " WHERE scope_key = $1 AND ($2::text IS NULL OR admdvs > $2) GROUP BY admdvs ORDER BY admdvs LIMIT $3",
            scope_key, after, limit,
        )
        return [(r["admdvs"], int(r["balance"])) for r in found]
