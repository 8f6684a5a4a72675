"""The rate policy, and the buckets of one process (the fake) against the buckets' contract."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from services.gateway.adapters.rate_buckets import MemoryRateBuckets
from services.gateway.domain.errors import RateLimited
from services.gateway.domain.rate_limit import RatePolicy, Take
from services.gateway.tests.unit.rate_buckets_contract import RateBucketsContract


def test_tokens_return_at_the_rate_up_to_the_burst() -> None:
    policy = RatePolicy(rate_per_s=200, burst=400)
    assert policy.refilled(0, 0.5) == 100
    assert policy.refilled(350, 1) == 400


def test_a_clock_set_back_returns_no_token_and_takes_none() -> None:
    assert RatePolicy(rate_per_s=10, burst=5).refilled(2.5, -30) == 2.5


def test_a_new_institution_starts_with_a_full_bucket() -> None:
    assert RatePolicy(rate_per_s=10, burst=5).take(None, 0) == Take(True, 4)


def test_a_request_without_a_whole_token_is_refused_and_takes_nothing() -> None:
    take = RatePolicy(rate_per_s=10, burst=5).take(0.2, 0.05)
    assert take.taken is False and take.tokens == pytest.approx(0.7)


def test_the_refusal_tells_the_clerk_when_to_send_again_in_whole_seconds() -> None:
    policy = RatePolicy(rate_per_s=0.5, burst=1)
    with pytest.raises(RateLimited) as refused:
        policy.check("H37130000001", Take(False, 0.2))
    assert refused.value.retry_after_s == 2 and refused.value.status == 429
    assert "H37130000001" in refused.value.message and "retry in 2 s" in refused.value.message
    assert "all gateway processes" in refused.value.message


def test_a_wait_shorter_than_a_second_is_still_one_second() -> None:
    assert RatePolicy(rate_per_s=200, burst=400).retry_after_s(0.99) == 1


def test_a_request_that_got_its_token_passes() -> None:
    RatePolicy(rate_per_s=1, burst=1).check("H1", Take(True, 0))


@pytest.mark.parametrize(("rate", "burst"), [(0, 10), (-1, 10), (10, 0.5)])
def test_a_policy_that_could_never_admit_a_request_is_refused_at_start(rate: float, burst: float) -> None:
    with pytest.raises(ValueError):
        RatePolicy(rate_per_s=rate, burst=burst)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def buckets(clock: Clock) -> MemoryRateBuckets:
    return MemoryRateBuckets(clock)


@pytest.fixture
def let_pass(clock: Clock) -> Callable[[float], Awaitable[None]]:
    async def let_pass(seconds: float) -> None:
        clock.now += seconds
    return let_pass


class TestMemoryRateBuckets(RateBucketsContract):
    pass
