"""What every store of the institutions' token buckets must do; subclassed for the in-memory fake and for
Postgres. Time is moved by `let_pass` (the fake's clock; the rows' `updated_at` on Postgres, whose own
clock also runs: the rates here make a few milliseconds of it worth a few thousandths of a token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.gateway.domain.rate_limit import RatePolicy
from services.gateway.service_layer.ports import RateBuckets

LetPass = Callable[[float], Awaitable[None]]
POLICY = RatePolicy(rate_per_s=1, burst=3)


async def granted(buckets: RateBuckets, institution: str, requests: int, policy: RatePolicy = POLICY) -> int:
    return sum([(await buckets.take(institution, policy)).taken for _ in range(requests)])


class RateBucketsContract:
    """Subclasses provide `buckets` (a fresh store) and `let_pass` (moves its time on by some seconds)."""

    async def test_a_new_institution_sends_its_burst_at_once_and_no_more(self, buckets: RateBuckets) -> None:
        assert await granted(buckets, "H1", 5) == 3

    async def test_each_institution_has_its_own_bucket(self, buckets: RateBuckets) -> None:
        assert await granted(buckets, "H1", 4) == 3
        assert await granted(buckets, "H2", 4) == 3

    async def test_tokens_return_at_the_rate(self, buckets: RateBuckets, let_pass: LetPass) -> None:
        await granted(buckets, "H1", 3)
        await let_pass(2.5)
        assert await granted(buckets, "H1", 4) == 2

    async def test_an_idle_bucket_fills_up_to_the_burst_only(self, buckets: RateBuckets, let_pass: LetPass) -> None:
        await granted(buckets, "H1", 3)
        await let_pass(3600)
        assert await granted(buckets, "H1", 10) == 3

    async def test_refused_requests_do_not_delay_the_next_token(self, buckets: RateBuckets, let_pass: LetPass) -> None:
        await granted(buckets, "H1", 3)
        await let_pass(0.6)
        assert await granted(buckets, "H1", 20) == 0
        await let_pass(0.6)
        assert await granted(buckets, "H1", 2) == 1

    async def test_a_refusal_tells_how_far_the_bucket_is_from_a_token(self, buckets: RateBuckets,
                                                                      let_pass: LetPass) -> None:
        slow = RatePolicy(rate_per_s=0.25, burst=1)
        assert (await buckets.take("H1", slow)).taken
        await let_pass(1)
        refused = await buckets.take("H1", slow)
        assert not refused.taken and 0.24 < refused.tokens < 0.3
        assert slow.retry_after_s(refused.tokens) == 3

    async def test_what_a_request_leaves_is_what_the_next_one_finds(self, buckets: RateBuckets) -> None:
        first, second = await buckets.take("H1", POLICY), await buckets.take("H1", POLICY)
        assert first.taken and second.taken and 1.99 < first.tokens < 2.01 and 0.99 < second.tokens < 1.01
