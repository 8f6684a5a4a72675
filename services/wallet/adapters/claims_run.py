"""`ClaimRunBook` on Postgres: a run of claim payments read, locked and written in a constant number of
statements instead of a dozen per claim.

`prefetch` reads the patients' active bindings, opens and locks the rows of the patients and of their
medical payers (one statement, ascending psn_no, as `PostgresWalletBook.lock_accounts` does for one
claim), reads the bindings again under the locks and the payments already recorded for the run's
setl_ids. The recipe then runs per claim against these rows in memory; `flush` writes the postings,
their lines, the rows and the payments in one statement each.

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
from services.wallet.adapters.book import append_postings, lock_rows, write_accounts
from services.wallet.domain import (
    Binding,
    ClaimPayment,
    Decision,
    DuplicatePosting,
    LocksIncomplete,
    PersonalAccount,
    Posting,
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
        wanted = [row for p in patients for row in rows_for_claim_payment(p, before[p])]
        self._accounts, self._opened = await lock_rows(self.conn, wanted)
        # Bindings change only under both people's locks, so once the patients are locked they hold still.
        self._bindings = await self._active_bindings(patients)
        if self._bindings != before:
            raise RunNotCovered("A patient's bindings changed while the run locked its rows.")
        setl_ids = sorted(set(setl_ids))
        self._payments = dict.fromkeys(setl_ids)
        found = await self.conn.fetch("SELECT * FROM claim_payments WHERE setl_id = ANY($1::text[])", setl_ids)
        self._payments.update((r["setl_id"], rows.claim_payment(r)) for r in found)

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
        await append_postings(self.conn, self._postings)
        await write_accounts(self.conn, tuple(self._changed.values()))
        if self._recorded:
            await self.conn.execute(
                "INSERT INTO claim_payments (setl_id, claim_id, psn_no, fixmedins_code, psn_part_amt, acct_used_flag,"
                " acct_pay, acct_mulaid_pay, psn_cash_pay, balc, draws, paid_at)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bool[],"
                " $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::jsonb[], $12::timestamptz[])",
                *(list(column) for column in zip(*map(rows.claim_payment_values, self._recorded), strict=True)))
        unused = sorted(self._opened - self._kept)
        if unused:  # only refused claims wanted them: one claim at a time, their savepoints undid them
            await self.conn.execute("DELETE FROM accounts WHERE psn_no = ANY($1::text[])", unused)

    async def _active_bindings(self, members: list[str]) -> dict[str, tuple[Binding, ...]]:
        found = await self.conn.fetch(
            "SELECT * FROM bindings WHERE member = ANY($1::text[]) AND revoked_at IS NULL ORDER BY bound_at, holder",
            members)
        by_member: dict[str, list[Binding]] = {m: [] for m in members}
        for r in found:
            by_member[r["member"]].append(rows.binding(r))
        return {m: tuple(b) for m, b in by_member.items()}
