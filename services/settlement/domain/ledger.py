"""Double-entry postings of the funds' payments, per pooling region and fund.

Accounts (names are `kind:region:...`):
  fund:<region>:<fund>:expense                 the fund's spending, in the insured region
  payable:<region>:<fixmedins_code>            owed to the hospital or pharmacy by that region's agency
  clearing:<insured>:<fund>:due_to:<treatment> the insured region owes the treatment region (cross-region)
  clearing:<treatment>:<fund>:due_from:<insured> its mirror in the treatment region
  payable:<region>:person:<psn_no>             owed to an insured person by a manual reimbursement (零星报销)
  personal_account:<region>:<psn_no>           the person's account (and a relative's) paying their share to them
  bank:<region>:reimbursements                 the agency's bank account the reimbursements are paid from

A local claim debits the fund and credits the institution's payable. A cross-region claim is paid
first by the treatment region (就医地先行支付), which later clears with the insured region: so the
insured region debits its fund against a clearing debt, and the treatment region credits the
institution against a clearing claim. Each region's entries balance on their own. A manual
reimbursement owes the person instead of an institution, always in the insured region's books (the
patient already paid the treating institution), and is paid out by bank transfer.
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


class UnbalancedPostings(ValueError):
    """Entries whose debits and credits differ: double entry is broken, nothing may be written."""


def check_balanced(setl_id: str, postings: Iterable[Posting]) -> None:
    """The one balance check of the ledger: a settlement's entries are refused unless they balance."""
    debit = credit = 0
    for posting in postings:
        debit, credit = debit + posting.debit, credit + posting.credit
    if debit != credit:
        raise UnbalancedPostings(f"unbalanced fund entries for {setl_id}")


def person_payable_account(region: str, psn_no: str) -> str:
    return f"payable:{region}:person:{psn_no}"


def contra(postings: Iterable[Posting]) -> tuple[Posting, ...]:
    """The contra entries: every debit a credit and every credit a debit."""
    return tuple(Posting(p.account, debit=p.credit, credit=p.debit) for p in postings)


def account_postings(region: str, psn_no: str, amount: Fen) -> tuple[Posting, ...]:
    """A reimbursement's personal-account part, paid to the person with the funds' part."""
    if not amount:
        return ()
    return (Posting(f"personal_account:{region}:{psn_no}", debit=amount),
            Posting(person_payable_account(region, psn_no), credit=amount))


def payout_postings(region: str, psn_no: str, amount: Fen) -> tuple[Posting, ...]:
    """The bank transfer that pays a reimbursement: the person's payable is cleared against the bank."""
    return (Posting(person_payable_account(region, psn_no), debit=amount),
            Posting(f"bank:{region}:reimbursements", credit=amount))


def fund_postings(settlement: Settlement) -> tuple[Posting, ...]:
    """The postings of a settlement (its contra entries: `reversal.take_back`)."""
    insured, treatment = settlement.insuplc_admdvs, settlement.mdtrtarea_admvs
    postings: list[Posting] = []
    for payment in settlement.fund_payments:
        fund, amount = payment.fund, payment.fund_payamt
        expense = f"fund:{insured}:{fund}:expense"
        if settlement.manual:
            pairs = [(expense, person_payable_account(insured, settlement.psn_no))]
        elif insured == treatment:
            pairs = [(expense, f"payable:{insured}:{settlement.fixmedins_code}")]
        else:
            pairs = [
                (expense, f"clearing:{insured}:{fund}:due_to:{treatment}"),
                (f"clearing:{treatment}:{fund}:due_from:{insured}", f"payable:{treatment}:{settlement.fixmedins_code}"),
            ]
        for debit, credit in pairs:
            postings += [Posting(debit, debit=amount), Posting(credit, credit=amount)]
    return tuple(postings)


def balances(postings: Iterable[Posting]) -> dict[str, Fen]:
    """Each account's balance, debit minus credit; accounts that net to zero are left out."""
    totals: dict[str, Fen] = {}
    for posting in postings:
        totals[posting.account] = totals.get(posting.account, 0) + posting.debit - posting.credit
    return {account: amount for account, amount in totals.items() if amount}
