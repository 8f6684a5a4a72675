"""Balance enquiries and statements: reads only, no lock, each from one statement of the database so
that what it shows is consistent even while money moves."""

from __future__ import annotations

from datetime import datetime

from libs.contracts import wallet as w
from services.wallet.domain import (
    Bucket,
    PayPersonalPart,
    PersonalAccount,
    StatementLine,
    WalletBook,
    WalletPolicy,
    account_statement,
    balances_of,
    decide_claim_payment,
    person_statement,
    personal,
    rows_for_claim_payment,
)

QUOTE = "quote"  # the claim, settlement and institution ids of a quote: it is never recorded


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


async def personal_part_quote(book: WalletBook, psn_no: str, psn_part_amt: int, acct_used_flag: bool,
                              policy: WalletPolicy, at: datetime) -> w.PersonalPartQuote:
    """How `decide_claim_payment` would pay this personal part now, from the rows as they are (no lock,
    nothing recorded): the pre-settlement's acct_pay / acct_mulaid_pay / psn_cash_pay / balc."""
    bindings = await book.active_bindings_of(psn_no)
    accounts = {who: await book.account(who) or PersonalAccount(who) for who in rows_for_claim_payment(psn_no, bindings)}
    payment = decide_claim_payment(PayPersonalPart(QUOTE, QUOTE, psn_no, QUOTE, psn_part_amt, acct_used_flag, at),
                                   accounts, bindings, None, policy).outcome
    return w.PersonalPartQuote(psn_no=psn_no, psn_part_amt=psn_part_amt, acct_used_flag=acct_used_flag,
                               acct_pay=payment.acct_pay, acct_mulaid_pay=payment.acct_mulaid_pay,
                               psn_cash_pay=payment.psn_cash_pay, balc=payment.balc)
