"""The storage port the wallet needs: one implementation per store (Postgres, and `FakeLedger` in tests).

An instance works inside one database transaction. Every money operation follows the same recipe:

1. compute the rows to lock (`locks.rows_for_*`; a claim payment first reads the patient's bindings);
2. `lock_accounts(rows)`;
3. read what the decision needs (records by idempotency key, bindings, today's transfer count);
4. call the pure `decide_*` function;
5. `record(decision)` and commit; publish the outcome through the outbox in the same transaction.

`LocksIncomplete` means step 1 was too small (a binding appeared between the read and the lock):
roll back and start again. Refusals (`WalletRefusal`) write nothing but the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol

from services.wallet.domain.claims import ClaimPayment, ClaimRefund
from services.wallet.domain.crediting import Credited
from services.wallet.domain.decision import Decision
from services.wallet.domain.family import Binding
from services.wallet.domain.personal_account import PersonalAccount
from services.wallet.domain.postings import Posting
from services.wallet.domain.premiums import PremiumPayment
from services.wallet.domain.transfers import Transfer


class WalletBook(Protocol):
    async def lock_accounts(self, psn_nos: Iterable[str]) -> dict[str, PersonalAccount]:
        """Lock the people's rows in ascending psn_no order, opening an empty `PersonalAccount(psn_no)`
        row for anyone who has none; return them by psn_no."""
        ...

    async def account(self, psn_no: str) -> PersonalAccount | None:
        """The person's row without locking it (balance enquiries)."""
        ...

    async def active_bindings_of(self, member: str) -> tuple[Binding, ...]:
        """Bindings with `member` as the relative and no `revoked_at`."""
        ...

    async def latest_binding(self, holder: str, member: str) -> Binding | None:
        """The most recent binding of this pair, active or revoked."""
        ...

    async def save_binding(self, binding: Binding) -> None:
        """Insert, or update the binding with the same (holder, member, bound_at)."""
        ...

    async def credit(self, credit_id: str) -> Credited | None: ...

    async def claim_payment(self, setl_id: str) -> ClaimPayment | None: ...

    async def claim_refund(self, setl_id: str) -> ClaimRefund | None: ...

    async def transfer(self, transfer_id: str) -> Transfer | None: ...

    async def transfers_on(self, holder: str, day: date) -> int:
        """How many transfers `holder` made on this China calendar day (`Transfer.china_day`)."""
        ...

    async def premium_payment(self, payment_id: str) -> PremiumPayment | None: ...

    async def postings_of(self, psn_no: str) -> tuple[Posting, ...]:
        """Every posting that moved one of the person's balances, in ledger (append) order."""
        ...

    async def record(self, decision: Decision[Any]) -> None:
        """Append the postings (`DuplicatePosting` if a key is taken), write the account rows, insert the
        record (by its type). A replayed decision writes nothing. All in the caller's transaction."""
        ...


class ClaimRunBook(Protocol):
    """What `recipes.pay_claim` uses of a `WalletBook`, served from memory for a run of claim payments.

    `prefetch` reads and locks, in a few statements, everything the run's claims can need: the patients'
    active bindings, the rows of the patients and of their medical payers (one lock statement, ascending
    psn_no), and the payments already recorded for the run's setl_ids. The recipe then runs once per
    claim, in order, against the rows as the earlier claims of the run left them; `record` keeps each
    decision in memory and `flush` writes them all in a few statements. Anything the prefetch did not
    cover raises (not a refusal), so the caller can fall back to the per-message `WalletBook`.
    """

    async def prefetch(self, patients: Iterable[str], setl_ids: Iterable[str]) -> None: ...

    async def lock_accounts(self, psn_nos: Iterable[str]) -> dict[str, PersonalAccount]: ...

    async def active_bindings_of(self, member: str) -> tuple[Binding, ...]: ...

    async def claim_payment(self, setl_id: str) -> ClaimPayment | None: ...

    async def record(self, decision: Decision[Any]) -> None: ...

    async def flush(self) -> None:
        """Write every decision recorded since `prefetch`, as if each had been recorded on its own."""
        ...
