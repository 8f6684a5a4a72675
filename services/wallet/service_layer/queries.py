"""Balance enquiries and statements: reads only, no lock, each from one statement of the database so
that what it shows is consistent even while money moves."""

from __future__ import annotations

from libs.contracts import wallet as w
from services.wallet.domain import (
    Bucket,
    StatementLine,
    WalletBook,
    account_statement,
    balances_of,
    person_statement,
    personal,
)


async def account_balances(book: WalletBook, psn_no: str) -> w.AccountBalances | None:
    account = await book.account(psn_no)
    if account is None:
        return None
    b = account.balances
    return w.AccountBalances(psn_no=psn_no, year=account.year, prior_years=b.prior_years,
                             current_year=b.current_year, wallet=b.wallet, total=b.total)


async def statement(book: WalletBook, psn_no: str, bucket: Bucket | None = None,
                    limit: int | None = None) -> w.AccountStatement:
    """The person's history across their balances, or one balance's; `limit` keeps the last lines."""
    postings = await book.postings_of(psn_no)
    lines = (person_statement(psn_no, postings) if bucket is None
             else account_statement(personal(psn_no, bucket), postings))
    b = balances_of(psn_no, postings)
    return w.AccountStatement(
        psn_no=psn_no, bucket=bucket.value if bucket else None,
        balances=w.Balances(prior_years=b.prior_years, current_year=b.current_year, wallet=b.wallet, total=b.total),
        lines=[_line(line) for line in (lines[-limit:] if limit else lines)],
    )


def _line(line: StatementLine) -> w.StatementLine:
    return w.StatementLine(key=line.key, kind=line.kind.value, occurred_at=line.occurred_at, amount=line.amount,
                           balance=line.balance)
