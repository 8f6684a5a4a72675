"""Which person rows each operation must lock before it decides.

Always one fixed order, ascending `psn_no`, taken in one statement
(`SELECT … WHERE psn_no = ANY($1) ORDER BY psn_no FOR UPDATE`), so two operations on overlapping
people can wait for each other but never deadlock. Fund-side accounts (contributions, claims-payable,
resident-premiums) are never locked: nothing checks their balance, and a hospital's claims-payable
account would otherwise serialize every claim at that hospital.

Locking a person's row also guards what hangs off that person: their bindings as holder or member
(binding, changing uses and revoking lock both people), and their count of transfers today.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.wallet.domain.claims import ClaimPayment
from services.wallet.domain.family import Binding, medical_payers


def lock_order(*psn_nos: str) -> tuple[str, ...]:
    return tuple(sorted(set(psn_nos)))


def rows_for_credit(psn_no: str) -> tuple[str, ...]:
    return (psn_no,)


def rows_for_binding(holder: str, member: str) -> tuple[str, ...]:
    """Bind, change uses, revoke: both people, so no claim or transfer reads a binding mid-change."""
    return lock_order(holder, member)


def rows_for_claim_payment(patient: str, bindings: Iterable[Binding]) -> tuple[str, ...]:
    """The patient and every holder of the patient's active medical bindings.

    Read the bindings before locking, lock, read them again: if a holder appeared in between,
    `decide_claim_payment` raises `LocksIncomplete` and the transaction is retried.
    """
    return lock_order(patient, *(b.holder for b in medical_payers(patient, bindings)))


def rows_for_claim_refund(patient: str, payment: ClaimPayment | None) -> tuple[str, ...]:
    """The patient and everyone the payment drew from (the payment is immutable, so no second read)."""
    drawn = (d.psn_no for d in payment.draws) if payment else ()
    return lock_order(patient, *drawn)


def rows_for_transfer(holder: str, recipient: str) -> tuple[str, ...]:
    return lock_order(holder, recipient)


def rows_for_premium_payment(holder: str) -> tuple[str, ...]:
    """Only the holder: the premium leaves the ledger for a fund account; revoking locks the holder too."""
    return (holder,)
