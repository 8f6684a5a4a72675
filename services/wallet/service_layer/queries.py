"""Balance enquiries: reads only, no lock, from one statement of the database so that what it shows is
consistent even while money moves. Statements are read a page at a time by adapters/statements.py."""

from __future__ import annotations

from datetime import datetime

from libs.contracts import wallet as w
from services.wallet.domain import (
    PayPersonalPart,
    PersonalAccount,
    WalletBook,
    WalletPolicy,
    decide_claim_payment,
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
