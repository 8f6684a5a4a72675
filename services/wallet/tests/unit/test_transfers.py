import re
from datetime import UTC, datetime

import pytest

from services.wallet.domain import (
    Bucket,
    DailyTransferCountExceeded,
    Entry,
    InsufficientBalance,
    InvalidAmount,
    NotBoundRelative,
    RevokeBinding,
    SelfTransfer,
    TransferIdReused,
    TransferLimitExceeded,
    TransferNightWindow,
    TransferToRelative,
    decide_revocation,
    decide_transfer,
)
from services.wallet.tests.unit.builders import POLICY, account, binding, cst, locked

ACCOUNTS = locked(account("H1", prior=300_000, current=100_000, wallet=50_000), account("R1"))


def send(amount=50_000, *, transfer_id="T1", at=None, recipient="R1", bound=True, today=0, existing=None,
         accounts=ACCOUNTS):
    cmd = TransferToRelative(transfer_id, "H1", recipient, amount, at or cst(2025, 3, 1, 10))
    return decide_transfer(cmd, accounts, binding("H1", recipient) if bound else None, today, existing, POLICY)


def test_a_holder_transfers_to_a_bound_relatives_wallet_in_full_and_for_free():
    d = send(50_000)
    (posting,) = d.postings
    assert posting.key == "transfer:T1"
    assert set(posting.entries) == {Entry("personal:H1:prior_years", -50_000), Entry("personal:R1:wallet", 50_000)}
    assert d.outcome.holder_balc == 400_000
    assert {a.psn_no: a.wallet for a in d.accounts}["R1"] == 50_000


def test_the_same_transfer_id_and_body_returns_the_same_result_without_a_second_posting():
    first = send()
    again = send(at=cst(2025, 3, 1, 23, 30), existing=first.outcome)
    assert again.replayed and again.outcome == first.outcome


def test_a_transfer_id_reused_with_a_different_body_is_refused():
    with pytest.raises(TransferIdReused):
        send(50_001, existing=send().outcome)


@pytest.mark.parametrize("amount", [0, -100, 10.5])
def test_a_transfer_of_nothing_or_less_is_refused(amount):
    with pytest.raises(InvalidAmount):
        send(amount)


def test_one_transfer_may_be_2000_yuan_but_not_a_fen_more():
    assert send(200_000).outcome.amount == 200_000
    with pytest.raises(TransferLimitExceeded, match=re.escape("2,000.00 yuan")):
        send(200_001)


def test_a_transfer_to_oneself_is_refused():
    with pytest.raises(SelfTransfer):
        send(recipient="H1", accounts=locked(account("H1", prior=100_000)))


@pytest.mark.parametrize(("hour", "minute", "second", "open_"), [
    (21, 59, 59, True), (22, 0, 0, False), (23, 59, 59, False), (0, 0, 0, False), (5, 59, 59, False), (6, 0, 0, True),
])
def test_transfers_are_closed_from_22_00_to_06_00_china_time(hour, minute, second, open_):
    at = cst(2025, 3, 1, hour, minute, second)
    if open_:
        assert send(at=at).outcome.amount == 50_000
    else:
        with pytest.raises(TransferNightWindow):
            send(at=at)


def test_the_night_window_is_judged_on_the_china_clock_whatever_the_callers_zone():
    with pytest.raises(TransferNightWindow):
        send(at=datetime(2025, 3, 1, 14, 0, tzinfo=UTC))  # 22:00 in Beijing
    assert send(at=datetime(2025, 3, 1, 2, 0, tzinfo=UTC)).outcome.china_day.isoformat() == "2025-03-01"


def test_a_transfer_to_someone_not_bound_to_the_holder_is_refused():
    with pytest.raises(NotBoundRelative):
        send(bound=False)


def test_a_transfer_to_a_relative_whose_binding_was_revoked_is_refused():
    revoked = decide_revocation(RevokeBinding("H1", "R1", cst(2025, 2, 1)), binding("H1", "R1"))
    cmd = TransferToRelative("T1", "H1", "R1", 1_000, cst())
    with pytest.raises(NotBoundRelative):
        decide_transfer(cmd, ACCOUNTS, revoked, 0, None, POLICY)


def test_the_fourth_transfer_of_a_china_day_is_refused():
    assert send(today=2).outcome.amount == 50_000
    with pytest.raises(DailyTransferCountExceeded):
        send(today=3)


def test_a_transfer_larger_than_the_holders_shareable_balance_is_refused():
    accounts = locked(account("H1", prior=1_000, current=1_000, wallet=100_000), account("R1"))
    with pytest.raises(InsufficientBalance, match=re.escape("20.00 yuan available")):
        send(2_001, accounts=accounts)


def test_a_transfer_spends_prior_years_before_the_current_year():
    accounts = locked(account("H1", prior=1_000, current=5_000), account("R1"))
    assert [(d.bucket, d.amount) for d in send(3_000, accounts=accounts).outcome.draws] == [
        (Bucket.PRIOR_YEARS, 1_000), (Bucket.CURRENT_YEAR, 2_000)]


def test_the_cheapest_fix_is_reported_first_when_several_rules_are_broken():
    with pytest.raises(TransferLimitExceeded):
        send(300_000, at=cst(2025, 3, 1, 23), bound=False, today=3)
    with pytest.raises(TransferNightWindow):
        send(1_000, at=cst(2025, 3, 1, 23), bound=False, today=3)
    with pytest.raises(NotBoundRelative):
        send(1_000, bound=False, today=3)
