"""Balance enquiries: reads only, no lock, from one statement of the database so that what it shows is
consistent even while money moves. Statements are read a page at a time by adapters/statements.py."""

from __future__ import annotations

from libs.contracts import wallet as w
from services.wallet.domain import WalletBook


async def account_balances(book: WalletBook, psn_no: str) -> w.AccountBalances | None:
    account = await book.account(psn_no)
    if account is None:
        return None
    b = account.balances
    return w.AccountBalances(psn_no=psn_no, year=account.year, prior_years=b.prior_years,
                             current_year=b.current_year, wallet=b.wallet, total=b.total)
