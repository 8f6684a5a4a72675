"""The persons projection and the credits waiting for it, on Postgres."""

from __future__ import annotations

import asyncpg

from libs.contracts.enrollment import CoverageChanged
from libs.contracts.wallet import CreditPersonalAccount
from services.wallet.service_layer.persons import Person, Projected


class PostgresPersons:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def project(self, coverage: CoverageChanged) -> Projected:
        c = coverage
        row = await self.conn.fetchrow(
            "INSERT INTO persons (psn_no, version, insutype, insuplc_admdvs, active, retired, coverage_begin,"
            " coverage_end, family_psn_nos, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)"
            " ON CONFLICT (psn_no) DO UPDATE SET version = EXCLUDED.version, insutype = EXCLUDED.insutype,"
            " insuplc_admdvs = EXCLUDED.insuplc_admdvs, active = EXCLUDED.active, retired = EXCLUDED.retired,"
            " coverage_begin = EXCLUDED.coverage_begin, coverage_end = EXCLUDED.coverage_end,"
            " family_psn_nos = EXCLUDED.family_psn_nos, snapshot = EXCLUDED.snapshot"
            " WHERE persons.version < EXCLUDED.version"
            " RETURNING (xmax = 0) AS inserted",
            c.psn_no, c.version, c.insutype, c.insuplc_admdvs, c.active, c.retired, c.coverage_begin,
            c.coverage_end, c.family_psn_nos, c.model_dump_json())
        if row is None:
            return Projected.STALE
        return Projected.FIRST if row["inserted"] else Projected.NEWER

    async def person(self, psn_no: str) -> Person | None:
        row = await self.conn.fetchrow(
            "SELECT psn_no, insutype, insuplc_admdvs, active, coverage_end FROM persons WHERE psn_no = $1", psn_no)
        if row is None:
            return None
        return Person(row["psn_no"], row["insutype"], row["insuplc_admdvs"], row["active"], row["coverage_end"])

    async def park_credit(self, credit: CreditPersonalAccount, event_id: str) -> CreditPersonalAccount:
        await self.conn.execute(
            "INSERT INTO credits_awaiting_person (credit_id, psn_no, amount, kind, year, event_id)"
            " VALUES ($1, $2, $3, $4, $5, $6::uuid) ON CONFLICT (credit_id) DO NOTHING",
            credit.credit_id, credit.psn_no, credit.amount, credit.kind, credit.year, event_id)
        row = await self.conn.fetchrow(
            "SELECT credit_id, psn_no, amount, kind, year FROM credits_awaiting_person WHERE credit_id = $1",
            credit.credit_id)
        assert row is not None  # inserted just above, or there already
        return CreditPersonalAccount(**dict(row))

    async def parked_credits(self, psn_no: str) -> list[CreditPersonalAccount]:
        found = await self.conn.fetch(
            "SELECT credit_id, psn_no, amount, kind, year FROM credits_awaiting_person WHERE psn_no = $1 ORDER BY seq",
            psn_no)
        return [CreditPersonalAccount(**dict(r)) for r in found]

    async def unpark_credit(self, credit_id: str) -> None:
        await self.conn.execute("DELETE FROM credits_awaiting_person WHERE credit_id = $1", credit_id)
