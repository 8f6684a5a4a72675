"""Double-entry postings of the funds' payments, per pooling region and fund.

Accounts (names are `kind:region:...`):
  fund:<region>:<fund>:expense                 the fund's spending, in the insured region
  payable:<region>:<fixmedins_code>            owed to the hospital or pharmacy by that region's agency
  clearing:<insured>:<fund>:due_to:<treatment> the insured region owes the treatment region (cross-region)
  clearing:<treatment>:<fund>:due_from:<insured> its mirror in the treatment region

A local claim debits the fund and credits the institution's payable. A cross-region claim is paid
first by the treatment region (就医地先行支付), which later clears with the insured region: so the
insured region debits its fund against a clearing debt, and the treatment region credits the
institution against a clearing claim. Each region's entries balance on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from libs.money import Fen

from services.settlement.domain.settlement import Settlement


@dataclass(frozen=True)
class Posting:
    account: str
    debit: Fen = 0
    credit: Fen = 0


def fund_postings(settlement: Settlement, *, reversal: bool = False) -> tuple[Posting, ...]:
    """The postings of a settlement, or with `reversal=True` its contra postings."""
    insured, treatment = settlement.insuplc_admdvs, settlement.mdtrtarea_admvs
    postings: list[Posting] = []
    for payment in settlement.fund_payments:
        fund, amount = payment.fund, payment.fund_payamt
        expense = f"fund:{insured}:{fund}:expense"
        if insured == treatment:
            pairs = [(expense, f"payable:{insured}:{settlement.fixmedins_code}")]
        else:
            pairs = [
                (expense, f"clearing:{insured}:{fund}:due_to:{treatment}"),
                (f"clearing:{treatment}:{fund}:due_from:{insured}", f"payable:{treatment}:{settlement.fixmedins_code}"),
            ]
        for debit, credit in pairs:
            if reversal:
                debit, credit = credit, debit
            postings += [Posting(debit, debit=amount), Posting(credit, credit=amount)]
    return tuple(postings)


def balances(postings: Iterable[Posting]) -> dict[str, Fen]:
    """Each account's balance, debit minus credit; accounts that net to zero are left out."""
    totals: dict[str, Fen] = {}
    for posting in postings:
        totals[posting.account] = totals.get(posting.account, 0) + posting.debit - posting.credit
    return {account: amount for account, amount in totals.items() if amount}
