from services.wallet.domain import (
    Balances,
    CreditAccount,
    CreditKind,
    PostingKind,
    account_statement,
    balances_of,
    decide_claim_payment,
    decide_credit,
    person_statement,
    trial_balance,
)
from services.wallet.domain.personal_account import PersonalAccount
from services.wallet.tests.unit.builders import POLICY, claim, cst


def history():
    """Credit 2025, pay a claim, credit 2026 (which rolls 2025 over first)."""
    first = decide_credit(CreditAccount("CR1", "P1", 10_000, CreditKind.CONTRIBUTION, "430100", 2025, cst(2025, 1, 10)),
                          PersonalAccount("P1"), None)
    payment = decide_claim_payment(
        claim("S1", "P1", 3_000, at=cst(2025, 6, 1)), {"P1": first.accounts[0]}, (), None, POLICY)
    second = decide_credit(CreditAccount("CR2", "P1", 8_000, CreditKind.CONTRIBUTION, "430100", 2026, cst(2026, 1, 10)),
                           payment.accounts[0], None)
    return [*first.postings, *payment.postings, *second.postings], second.accounts[0]


def test_an_accounts_statement_runs_its_balance_posting_by_posting():
    postings, _ = history()
    lines = account_statement("personal:P1:current_year", postings)
    assert [(line.key, line.amount, line.balance) for line in lines] == [
        ("credit:CR1", 10_000, 10_000), ("claim:S1", -3_000, 7_000),
        ("rollover:P1:2026", -7_000, 0), ("credit:CR2", 8_000, 8_000)]


def test_a_persons_statement_runs_the_total_and_shows_the_rollover_as_a_move_of_nothing():
    postings, _ = history()
    lines = person_statement("P1", postings)
    assert [(line.kind, line.amount, line.balance) for line in lines] == [
        (PostingKind.CREDIT, 10_000, 10_000), (PostingKind.CLAIM_PAYMENT, -3_000, 7_000),
        (PostingKind.YEAR_ROLLOVER, 0, 7_000), (PostingKind.CREDIT, 8_000, 15_000)]


def test_balances_from_the_postings_alone_equal_the_account_row():
    postings, row = history()
    assert balances_of("P1", postings) == row.balances == Balances(prior_years=7_000, current_year=8_000)
    assert row.balances.total == 15_000


def test_the_trial_balance_of_any_ledger_sums_to_zero():
    postings, _ = history()
    totals = trial_balance(postings)
    assert sum(totals.values()) == 0
    assert totals["contributions:430100"] == -18_000 and totals["claims-payable:H43010500001"] == 3_000
