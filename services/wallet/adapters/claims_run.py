"""`ClaimRunBook` on Postgres: a run of claim payments read, locked and written in a constant number of
statements instead of a dozen per claim.

`prefetch` reads the patients' active bindings (1), opens the missing rows of the patients and of their
medical payers and locks them all, ascending psn_no, as `PostgresWalletBook.lock_accounts` does for one
claim (2), then reads the bindings again under the locks and the payments already recorded for the
run's setl_ids (3). The recipe then runs per claim against these rows in memory; `flush` writes the
postings, their lines, the rows and the payments in one statement (4). Under load every round trip
waits for a core, on the hospital's path: the run took nine before (docs/performance.md).

What one claim at a time would do, and how the run does the same:

- each claim sees the rows as the claims before it left them: `record` updates the rows in memory;
- a setl_id paid earlier in the run is found by `claim_payment`, so a repeat is a replay (or a
  `SETTLEMENT_ID_REUSED` refusal), as it would be after the first one committed;
- a refused claim writes nothing, not even the empty row its lock would have opened: rows opened by
  the prefetch that no recorded claim locked are deleted again by `flush`;
- bindings that changed between the first read and the lock, a row or setl_id the prefetch did not
  cover, a posting key already taken: `RunNotCovered` or the database's own error, which the caller
  does not treat as a refusal, so the runtime rolls the run back and replays it claim by claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from services.wallet.adapters import rows
from services.wallet.adapters.book import lock_rows
from services.wallet.domain import (
    Binding, ClaimPayment, Decision, DuplicatePosting, LocksIncomplete, PersonalAccount, Posting, lock_order,
    rows_for_claim_payment,
)


class RunNotCovered(Exception):
    """The run needs something its prefetch did not read or lock: replay it one claim at a time."""


class PostgresClaimRun:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._bindings: dict[str, tuple[Binding, ...]] = {}
        self._accounts: dict[str, PersonalAccount] = {}
        self._payments: dict[str, ClaimPayment | None] = {}
        self._opened: set[str] = set()
        self._locking: set[str] = set()  # rows the claim in hand locked
        self._kept: set[str] = set()  # rows some recorded claim locked: kept even if opened by the run
        self._postings: list[Posting] = []
        self._changed: dict[str, PersonalAccount] = {}
        self._recorded: list[ClaimPayment] = []

    async def prefetch(self, patients: Iterable[str], setl_ids: Iterable[str]) -> None:
        patients = sorted(set(patients))
        before = await self._active_bindings(patients)
        wanted = lock_order(*(row for p in patients for row in rows_for_claim_payment(p, before[p])))
        self._accounts, self._opened = await self._open_and_lock(wanted)
        # Bindings change only under both people's locks, so once the patients are locked they hold still.
        # Read in a statement of its own, after the locks: a statement sees what was committed when it began.
        setl_ids = sorted(set(setl_ids))
        found = await self.conn.fetchrow(
            "SELECT ARRAY(SELECT b FROM bindings b WHERE member = ANY($1::text[]) AND revoked_at IS NULL"
            "  ORDER BY bound_at, holder) AS bindings,"
            " ARRAY(SELECT p FROM claim_payments p WHERE setl_id = ANY($2::text[])) AS payments", patients, setl_ids)
        self._bindings = _by_member(patients, found["bindings"])
        if self._bindings != before:
            raise RunNotCovered("A patient's bindings changed while the run locked its rows.")
        self._payments = dict.fromkeys(setl_ids)
        self._payments.update((r["setl_id"], rows.claim_payment(r)) for r in found["payments"])

    async def _open_and_lock(self, order: tuple[str, ...]) -> tuple[dict[str, PersonalAccount], set[str]]:
        """`lock_rows` in one statement: the missing rows are opened first (the lock query reads the
        insert's output, so the insert runs to completion before any row is locked), then the others are
        locked in psn_no order. A row another transaction opened after this statement began is neither
        opened nor seen here: it is locked and read by a second statement."""
        found = await self.conn.fetchrow(
            "WITH opened AS (INSERT INTO accounts (psn_no) SELECT unnest($1::text[]) ORDER BY 1"
            "  ON CONFLICT DO NOTHING RETURNING psn_no, year, prior_years, current_year, wallet)"
            " SELECT ARRAY(SELECT (psn_no, year, prior_years, current_year, wallet) FROM opened) AS opened,"
            "  ARRAY(SELECT (a.psn_no, a.year, a.prior_years, a.current_year, a.wallet) FROM accounts a"
            "   WHERE a.psn_no = ANY($1::text[]) AND NOT EXISTS (SELECT FROM opened o WHERE o.psn_no = a.psn_no)"
            "   ORDER BY a.psn_no FOR UPDATE) AS locked", list(order))
        opened = {r[0]: PersonalAccount(*r) for r in found["opened"]}
        accounts = opened | {r[0]: PersonalAccount(*r) for r in found["locked"]}
        unseen = [p for p in order if p not in accounts]
        if unseen:
            late, _ = await lock_rows(self.conn, unseen)
            accounts.update(late)
        return accounts, set(opened)

    async def lock_accounts(self, psn_nos: Iterable[str]) -> dict[str, PersonalAccount]:
        wanted = set(psn_nos)
        if not wanted <= self._accounts.keys():
            raise RunNotCovered(f"The run did not lock {', '.join(sorted(wanted - self._accounts.keys()))}.")
        self._locking = wanted
        return {p: self._accounts[p] for p in sorted(wanted)}

    async def active_bindings_of(self, member: str) -> tuple[Binding, ...]:
        if member not in self._bindings:
            raise RunNotCovered(f"The run did not read the bindings of {member}.")
        return self._bindings[member]

    async def claim_payment(self, setl_id: str) -> ClaimPayment | None:
        if setl_id not in self._payments:
            raise RunNotCovered(f"The run did not read settlement {setl_id}.")
        return self._payments[setl_id]

    async def record(self, decision: Decision[Any]) -> None:
        self._kept |= self._locking  # a replay keeps its rows too: only a refusal leaves none
        if decision.replayed:
            return
        payment = decision.record
        if not isinstance(payment, ClaimPayment):
            raise RunNotCovered(f"A claim run records claim payments, not {type(payment).__name__}.")
        written = {a.psn_no for a in decision.accounts}.union(*(p.persons() for p in decision.postings))
        if not written <= self._locking:
            raise LocksIncomplete(f"Lock the account rows of {', '.join(sorted(written - self._locking))} first.")
        taken = {p.key for p in self._postings} & {p.key for p in decision.postings}
        if taken:
            raise DuplicatePosting(f"Posting {', '.join(sorted(taken))} is already in the ledger.")
        self._postings.extend(decision.postings)
        for account in decision.accounts:
            self._accounts[account.psn_no] = self._changed[account.psn_no] = account
        self._payments[payment.setl_id] = payment
        self._recorded.append(payment)

    async def flush(self) -> None:
        """The postings and their lines, the changed rows and the payments, in one statement: a posting
        key already in the journal inserts nothing and raises `DuplicatePosting` (the run rolls back)."""
        if self._recorded or self._postings:
            keys = [p.key for p in self._postings]
            lines = [(p.key, *line[1:]) for p in self._postings for line in rows.line_values(0, p)]
            accounts = tuple(self._changed.values())
            payments = [rows.claim_payment_values(p) for p in self._recorded]
            inserted = await self.conn.fetchval(
                "WITH posted AS (INSERT INTO postings (key, kind, occurred_at)"
                "  SELECT k, kind, at FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY"
                "  AS t(k, kind, at, n) ORDER BY n ON CONFLICT (key) DO NOTHING RETURNING seq, key),"
                " lines AS (INSERT INTO posting_lines (posting_seq, line_no, account, psn_no, bucket, amount)"
                "  SELECT posted.seq, v.line_no, v.account, v.psn_no, v.bucket, v.amount FROM unnest($4::text[],"
                "  $5::smallint[], $6::text[], $7::text[], $8::text[], $9::bigint[])"
                "  AS v(key, line_no, account, psn_no, bucket, amount) JOIN posted ON posted.key = v.key),"
                " rows AS (UPDATE accounts AS a SET year = v.year, prior_years = v.prior_years,"
                "  current_year = v.current_year, wallet = v.wallet FROM unnest($10::text[], $11::int[], $12::bigint[],"
                "  $13::bigint[], $14::bigint[]) AS v(psn_no, year, prior_years, current_year, wallet)"
                "  WHERE a.psn_no = v.psn_no),"
                " paid AS (INSERT INTO claim_payments (setl_id, claim_id, psn_no, fixmedins_code, psn_part_amt,"
                "  acct_used_flag, acct_pay, acct_mulaid_pay, psn_cash_pay, balc, draws, paid_at)"
                "  SELECT * FROM unnest($15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[], $20::bool[],"
                "  $21::bigint[], $22::bigint[], $23::bigint[], $24::bigint[], $25::jsonb[], $26::timestamptz[]))"
                " SELECT count(*) FROM posted",
                keys, [p.kind.value for p in self._postings], [p.occurred_at for p in self._postings],
                *_columns(lines, 6),
                [a.psn_no for a in accounts], [a.year for a in accounts], [a.prior_years for a in accounts],
                [a.current_year for a in accounts], [a.wallet for a in accounts],
                *_columns(payments, 12))
            if inserted != len(keys):
                taken = await self.conn.fetch("SELECT key FROM postings WHERE key = ANY($1::text[])", keys)
                raise DuplicatePosting(f"Posting {', '.join(sorted(r['key'] for r in taken))} is already in the ledger.")
        unused = sorted(self._opened - self._kept)
        if unused:  # only refused claims wanted them: one claim at a time, their savepoints undid them
            await self.conn.execute("DELETE FROM accounts WHERE psn_no = ANY($1::text[])", unused)

    async def _active_bindings(self, members: list[str]) -> dict[str, tuple[Binding, ...]]:
        found = await self.conn.fetch(
            "SELECT * FROM bindings WHERE member = ANY($1::text[]) AND revoked_at IS NULL ORDER BY bound_at, holder",
            members)
        return _by_member(members, found)


def _by_member(members: list[str], found: Iterable[Any]) -> dict[str, tuple[Binding, ...]]:
    by_member: dict[str, list[Binding]] = {m: [] for m in members}
    for r in found:
        by_member[r["member"]].append(rows.binding(r))
    return {m: tuple(b) for m, b in by_member.items()}


def _columns(values: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as `width` column lists (empty lists when there are no rows), for `unnest`."""
    return [list(column) for column in zip(*values, strict=True)] if values else [[] for _ in range(width)]
