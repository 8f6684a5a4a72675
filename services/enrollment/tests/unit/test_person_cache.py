"""The cache of replayed persons holds at most its capacity, dropping the least recently used first."""

from __future__ import annotations

from services.enrollment.adapters.person_cache import CachedPerson, PersonCache
from services.enrollment.tests.unit.builders import person


def entry(seq: int = 1) -> CachedPerson:
    return CachedPerson(person().state, seq=seq, writer=1_000 + seq)


def test_the_cache_never_holds_more_than_its_capacity() -> None:
    cache = PersonCache(3)
    for n in range(10):
        cache.put(f"P{n}", entry())
        assert len(cache) == min(n + 1, 3)
    assert [f"P{n}" in cache for n in range(10)] == [False] * 7 + [True] * 3


def test_a_person_read_recently_outlives_one_put_earlier() -> None:
    cache = PersonCache(2)
    cache.put("OLD", entry())
    cache.put("NEWER", entry())
    assert cache.get("OLD") is not None
    cache.put("NEWEST", entry())
    assert ("OLD" in cache, "NEWER" in cache, "NEWEST" in cache) == (True, False, True)


def test_a_later_entry_replaces_the_earlier_one_even_at_an_older_position() -> None:
    cache, newer, older = PersonCache(2), entry(seq=5), entry(seq=3)
    cache.put("P", newer)
    cache.put("P", older)  # e.g. the entry at 5 was rolled back and the stream read again at 3
    assert cache.get("P") is older and len(cache) == 1


def test_a_cache_of_no_capacity_keeps_nothing() -> None:
    cache = PersonCache(0)
    cache.put("P", entry())
    assert cache.get("P") is None and len(cache) == 0
