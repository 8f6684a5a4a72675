"""Database rows to domain records and back: one function per record type, nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg
import orjson

from services.wallet.domain import (
    Binding,
    Bucket,
    ClaimPayment,
    ClaimRefund,
    Credited,
    CreditKind,
    Draw,
    Entry,
    PersonalAccount,
    Posting,
    PostingKind,
    PremiumPayment,
    Relation,
    Transfer,
    Use,
    owner_of,
)

Row = asyncpg.Record | Mapping[str, Any]  # read by column name; asyncpg's Record is no Mapping by its stubs


def draws_json(draws: Iterable[Draw]) -> str:
    return orjson.dumps([
        {"psn_no": d.psn_no, "bucket": d.bucket.value, "amount": d.amount, "year": d.year} for d in draws
    ]).decode()


def draws_of(value: str) -> tuple[Draw, ...]:
    return tuple(Draw(d["psn_no"], Bucket(d["bucket"]), d["amount"], d["year"]) for d in orjson.loads(value))


def account(row: Row) -> PersonalAccount:
    return PersonalAccount(row["psn_no"], row["year"], row["prior_years"], row["current_year"], row["wallet"])


def binding(row: Row) -> Binding:
    return Binding(
        row["holder"], row["member"], Relation(row["relation"]), frozenset(Use(u) for u in row["uses"]),
        row["bound_at"], row["revoked_at"],
    )


def binding_values(b: Binding) -> tuple[Any, ...]:
    return b.holder, b.member, b.relation.value, sorted(u.value for u in b.uses), b.bound_at, b.revoked_at


def posting(row: Row) -> Posting:
    entries = tuple(Entry(a, n) for a, n in zip(row["accounts"], row["amounts"], strict=True))
    return Posting(row["key"], PostingKind(row["kind"]), row["occurred_at"], entries)


def line_values(seq: int, p: Posting) -> list[tuple[Any, ...]]:
    lines = []
    for line_no, entry in enumerate(p.entries):
        owner = owner_of(entry.account)
        lines.append((seq, line_no, entry.account, owner[0] if owner else None,
                      owner[1].value if owner else None, entry.amount))
    return lines


def credited(row: Row) -> Credited:
    return Credited(
        row["credit_id"], row["psn_no"], row["amount"], CreditKind(row["kind"]), row["region"], row["year"],
        Bucket(row["bucket"]), row["balc"], row["credited_at"],
    )


def credited_values(c: Credited) -> tuple[Any, ...]:
    return (c.credit_id, c.psn_no, c.amount, c.kind.value, c.region, c.year, c.bucket.value, c.balc,
            c.credited_at)


def claim_payment(row: Row) -> ClaimPayment:
    return ClaimPayment(
        row["claim_id"], row["setl_id"], row["psn_no"], row["fixmedins_code"], row["psn_part_amt"],
        row["acct_used_flag"], row["acct_pay"], row["acct_mulaid_pay"], row["psn_cash_pay"], row["balc"],
        draws_of(row["draws"]), row["paid_at"],
    )


def claim_payment_values(p: ClaimPayment) -> tuple[Any, ...]:
    return (p.setl_id, p.claim_id, p.psn_no, p.fixmedins_code, p.psn_part_amt, p.acct_used_flag, p.acct_pay,
            p.acct_mulaid_pay, p.psn_cash_pay, p.balc, draws_json(p.draws), p.paid_at)


def claim_refund(row: Row) -> ClaimRefund:
    return ClaimRefund(
        row["claim_id"], row["cancel_id"], row["setl_id"], row["psn_no"], row["fixmedins_code"], row["acct_pay"],
        row["acct_mulaid_pay"], row["psn_cash_pay"], row["balc"], draws_of(row["returns"]), row["refunded_at"],
    )


def claim_refund_values(r: ClaimRefund) -> tuple[Any, ...]:
    return (r.setl_id, r.claim_id, r.cancel_id, r.psn_no, r.fixmedins_code, r.acct_pay, r.acct_mulaid_pay,
            r.psn_cash_pay, r.balc, draws_json(r.returns), r.refunded_at)


def transfer(row: Row) -> Transfer:
    return Transfer(
        row["transfer_id"], row["holder"], row["recipient"], row["amount"], row["china_day"],
        draws_of(row["draws"]), row["holder_balc"], row["transferred_at"],
    )


def transfer_values(t: Transfer) -> tuple[Any, ...]:
    return (t.transfer_id, t.holder, t.recipient, t.amount, t.china_day, draws_json(t.draws), t.holder_balc,
            t.transferred_at)


def premium_payment(row: Row) -> PremiumPayment:
    return PremiumPayment(
        row["payment_id"], row["holder"], row["member"], row["amount"], row["coverage_year"], row["region"],
        draws_of(row["draws"]), row["holder_balc"], row["paid_at"],
    )


def premium_payment_values(p: PremiumPayment) -> tuple[Any, ...]:
    return (p.payment_id, p.holder, p.member, p.amount, p.coverage_year, p.region, draws_json(p.draws),
            p.holder_balc, p.paid_at)
