from dataclasses import FrozenInstanceError
from datetime import datetime

import pytest

from services.wallet.domain import Entry, Posting, PostingKind, UnbalancedPosting
from services.wallet.domain.postings import merged
from services.wallet.tests.unit.builders import cst


def posting(*entries: Entry, key: str = "k", at: datetime | None = None) -> Posting:
    return Posting(key, PostingKind.CREDIT, at or cst(), entries)


def test_a_posting_whose_entries_do_not_sum_to_zero_is_refused():
    with pytest.raises(UnbalancedPosting, match="does not balance"):
        posting(Entry("contributions:430100", -100), Entry("personal:P1:current_year", 99))


def test_a_balanced_posting_is_accepted_and_reports_each_persons_net_move():
    p = posting(Entry("contributions:430100", -100), Entry("personal:P1:current_year", 100))
    assert p.persons() == {"P1"}
    assert p.net_for_person("P1") == 100


def test_a_posting_needs_at_least_two_entries():
    with pytest.raises(UnbalancedPosting):
        Posting("k", PostingKind.CREDIT, cst(), ())


def test_a_posting_names_each_account_once():
    with pytest.raises(UnbalancedPosting, match="twice"):
        posting(Entry("a", 1), Entry("a", -1))


@pytest.mark.parametrize("amount", [0, 1.5, True, "100"])
def test_an_entry_is_a_non_zero_whole_number_of_fen_never_a_float(amount):
    with pytest.raises(UnbalancedPosting):
        Entry("a", amount)


def test_a_posting_needs_a_time_zone():
    with pytest.raises(UnbalancedPosting, match="time zone"):
        posting(Entry("a", 1), Entry("b", -1), at=datetime(2025, 1, 1))


def test_a_posting_cannot_be_changed_once_made():
    p = posting(Entry("a", 1), Entry("b", -1))
    with pytest.raises(FrozenInstanceError):
        p.entries = ()  # type: ignore[misc]  # the change under test


def test_merged_entries_add_up_per_account_and_drop_zeros():
    assert merged([("a", 5), ("b", -5), ("a", 3), ("c", 0)]) == (Entry("a", 8), Entry("b", -5))
