"""`WalletBook` on Postgres (asyncpg), inside the caller's transaction (READ COMMITTED).

`lock_accounts` opens missing person rows and locks them all in one statement, ascending psn_no, so
two operations on overlapping people wait for each other but never deadlock. Every read after it sees
what the transactions that held the locks committed. `record` writes a decision all or nothing (in a
savepoint) and refuses to write a person's row this book did not lock, like the fake does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import asyncpg

from services.wallet.adapters import rows
from services.wallet.domain import (
    Binding,
    ClaimPayment,
    ClaimRefund,
    Credited,
    Decision,
    DuplicatePosting,
    LocksIncomplete,
    PersonalAccount,
    Posting,
    PremiumPayment,
    Transfer,
    lock_order,
)

_POSTINGS = (
    "SELECT p.seq, p.key, p.kind, p.occurred_at,"
    " array_agg(l.account ORDER BY l.line_no) AS accounts, array_agg(l.amount ORDER BY l.line_no) AS amounts"
    " FROM postings p JOIN posting_lines l ON l.posting_seq = p.seq"
)

_INSERTS: dict[type, tuple[str, Any]] = {
    Credited: (
        "INSERT INTO credits (credit_id, psn_no, amount, kind, region, year, bucket, balc, credited_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", rows.credited_values),
    ClaimPayment: (
        "INSERT INTO claim_payments (setl_id, claim_id, psn_no, fixmedins_code, psn_part_amt, acct_used_flag,"
        " acct_pay, acct_mulaid_pay, psn_cash_pay, balc, draws, paid_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)", rows.claim_payment_values),
    ClaimRefund: (
        "INSERT INTO claim_refunds (setl_id, claim_id, cancel_id, psn_no, fixmedins_code, acct_pay,"
        " acct_mulaid_pay, psn_cash_pay, balc, returns, refunded_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)", rows.claim_refund_values),
    Transfer: (
        "INSERT INTO transfers (transfer_id, holder, recipient, amount, china_day, draws, holder_balc,"
        " transferred_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)", rows.transfer_values),
    PremiumPayment: (
        "INSERT INTO premium_payments (payment_id, holder, member, amount, coverage_year, region, draws,"
        " holder_balc, paid_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)", rows.premium_payment_values),
}


class PostgresWalletBook:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._locked: set[str] = set()

    async def lock_accounts(self, psn_nos: Iterable[str]) -> dict[str, PersonalAccount]:
        accounts, _ = await lock_rows(self.conn, psn_nos)
        self._locked.update(accounts)
        return accounts

    async def account(self, psn_no: str) -> PersonalAccount | None:
        row = await self.conn.fetchrow(
            "SELECT psn_no, year, prior_years, current_year, wallet FROM accounts WHERE psn_no = $1", psn_no)
        return rows.account(row) if row else None

    async def active_bindings_of(self, member: str) -> tuple[Binding, ...]:
        found = await self.conn.fetch(
            "SELECT * FROM bindings WHERE member = $1 AND revoked_at IS NULL ORDER BY bound_at, holder", member)
        return tuple(rows.binding(r) for r in found)

    async def latest_binding(self, holder: str, member: str) -> Binding | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM bindings WHERE holder = $1 AND member = $2 ORDER BY bound_at DESC LIMIT 1", holder, member)
        return rows.binding(row) if row else None

    async def save_binding(self, binding: Binding) -> None:
        self._check_locked({binding.holder, binding.member})
        await self.conn.execute(
            "INSERT INTO bindings (holder, member, relation, uses, bound_at, revoked_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (holder, member, bound_at)"
            " DO UPDATE SET relation = EXCLUDED.relation, uses = EXCLUDED.uses, revoked_at = EXCLUDED.revoked_at",
            *rows.binding_values(binding))

    async def credit(self, credit_id: str) -> Credited | None:
        row = await self.conn.fetchrow("SELECT * FROM credits WHERE credit_id = $1", credit_id)
        return rows.credited(row) if row else None

    async def claim_payment(self, setl_id: str) -> ClaimPayment | None:
        row = await self.conn.fetchrow("SELECT * FROM claim_payments WHERE setl_id = $1", setl_id)
        return rows.claim_payment(row) if row else None

    async def claim_refund(self, setl_id: str) -> ClaimRefund | None:
        row = await self.conn.fetchrow("SELECT * FROM claim_refunds WHERE setl_id = $1", setl_id)
        return rows.claim_refund(row) if row else None

    async def transfer(self, transfer_id: str) -> Transfer | None:
        row = await self.conn.fetchrow("SELECT * FROM transfers WHERE transfer_id = $1", transfer_id)
        return rows.transfer(row) if row else None

    async def transfers_on(self, holder: str, day: date) -> int:
        return await self.conn.fetchval(
            "SELECT count(*) FROM transfers WHERE holder = $1 AND china_day = $2", holder, day)

    async def premium_payment(self, payment_id: str) -> PremiumPayment | None:
        row = await self.conn.fetchrow("SELECT * FROM premium_payments WHERE payment_id = $1", payment_id)
        return rows.premium_payment(row) if row else None

    async def postings_of(self, psn_no: str) -> tuple[Posting, ...]:
        found = await self.conn.fetch(
            f"{_POSTINGS} WHERE p.seq IN (SELECT posting_seq FROM posting_lines WHERE psn_no = $1)"
            " GROUP BY p.seq ORDER BY p.seq", psn_no)
        return tuple(rows.posting(r) for r in found)

    async def record(self, decision: Decision[Any]) -> None:
        if decision.replayed:
            return
        written = {a.psn_no for a in decision.accounts}.union(*(p.persons() for p in decision.postings))
        self._check_locked(written)
        async with self.conn.transaction():  # a savepoint inside the caller's transaction
            await append_postings(self.conn, decision.postings)
            await write_accounts(self.conn, decision.accounts)
            if decision.record is not None:
                sql, values = _INSERTS[type(decision.record)]
                await self.conn.execute(sql, *values(decision.record))

    def _check_locked(self, psn_nos: set[str]) -> None:
        missing = sorted(psn_nos - self._locked)
        if missing:
            raise LocksIncomplete(f"Lock the account rows of {', '.join(missing)} before writing them.")


async def lock_rows(conn: asyncpg.Connection, psn_nos: Iterable[str]) -> tuple[dict[str, PersonalAccount], set[str]]:
    """Open missing person rows, then lock them all in one statement, ascending psn_no; return the rows
    by psn_no and the psn_nos whose rows this call opened."""
    order = list(lock_order(*psn_nos))
    opened = await conn.fetch(
        "INSERT INTO accounts (psn_no) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT DO NOTHING RETURNING psn_no",
        order)
    found = await conn.fetch(
        "SELECT psn_no, year, prior_years, current_year, wallet FROM accounts"
        " WHERE psn_no = ANY($1::text[]) ORDER BY psn_no FOR UPDATE", order)
    return {r["psn_no"]: rows.account(r) for r in found}, {r["psn_no"] for r in opened}


async def append_postings(conn: asyncpg.Connection, postings: Sequence[Posting]) -> None:
    """Insert the postings in order (their `seq` follows it) and all their lines, in two statements."""
    if not postings:
        return
    keys = [p.key for p in postings]
    inserted = await conn.fetch(
        "INSERT INTO postings (key, kind, occurred_at)"
        " SELECT k, kind, at FROM unnest($1::text[], $2::text[], $3::timestamptz[])"
        " WITH ORDINALITY AS t(k, kind, at, n) ORDER BY n ON CONFLICT (key) DO NOTHING RETURNING seq, key",
        keys, [p.kind.value for p in postings], [p.occurred_at for p in postings])
    seqs = {r["key"]: r["seq"] for r in inserted}
    taken = [k for k in keys if k not in seqs]
    if taken:
        raise DuplicatePosting(f"Posting {', '.join(taken)} is already in the ledger.")
    lines = [line for p in postings for line in rows.line_values(seqs[p.key], p)]
    await conn.execute(
        "INSERT INTO posting_lines (posting_seq, line_no, account, psn_no, bucket, amount)"
        " SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::bigint[])",
        *(list(column) for column in zip(*lines, strict=True)))


async def write_accounts(conn: asyncpg.Connection, accounts: Sequence[PersonalAccount]) -> None:
    """Write the person rows back (the caller holds their locks), in one statement."""
    if not accounts:
        return
    await conn.execute(
        "UPDATE accounts AS a SET year = v.year, prior_years = v.prior_years, current_year = v.current_year,"
        " wallet = v.wallet FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[])"
        " AS v(psn_no, year, prior_years, current_year, wallet) WHERE a.psn_no = v.psn_no",
        [a.psn_no for a in accounts], [a.year for a in accounts], [a.prior_years for a in accounts],
        [a.current_year for a in accounts], [a.wallet for a in accounts])
