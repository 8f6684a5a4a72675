"""The one retry helper: transient failures are retried with jittered, growing, capped waits; others are not."""

from __future__ import annotations

import pytest

from libs.retry import RetryPolicy, retry_transient


class Flaky:
    """Fails with `error` the first `failures` calls, then answers."""

    def __init__(self, failures: int, error: BaseException) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


class Clock:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_a_transient_failure_is_retried_until_the_work_succeeds() -> None:
    work, clock = Flaky(2, ConnectionError("reset")), Clock()
    assert await retry_transient(work, RetryPolicy(attempts=5), (ConnectionError,), sleep=clock.sleep) == "done"
    assert work.calls == 3 and len(clock.waits) == 2


async def test_after_the_last_attempt_the_last_failure_itself_is_raised() -> None:
    error = ConnectionError("still down")
    work, clock = Flaky(10, error), Clock()
    with pytest.raises(ConnectionError) as raised:
        await retry_transient(work, RetryPolicy(attempts=3), (ConnectionError,), sleep=clock.sleep)
    assert raised.value is error and work.calls == 3 and len(clock.waits) == 2


async def test_a_failure_that_is_not_transient_is_raised_at_once() -> None:
    work, clock = Flaky(1, ValueError("bad input")), Clock()
    with pytest.raises(ValueError):
        await retry_transient(work, RetryPolicy(attempts=5), (ConnectionError,), sleep=clock.sleep)
    assert work.calls == 1 and clock.waits == []


async def test_waits_are_jittered_below_a_bound_that_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=8, first_delay=0.1, max_delay=0.5)
    runs = []
    for _ in range(20):
        clock = Clock()
        with pytest.raises(OSError):
            await retry_transient(Flaky(99, OSError()), policy, (OSError,), sleep=clock.sleep)
        runs.append(clock.waits)
    for waits in runs:
        assert all(0 <= wait <= policy.delay(n) for n, wait in enumerate(waits, start=1))
    assert [policy.delay(n) for n in range(1, 8)] == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5, 0.5]
    assert len({tuple(waits) for waits in runs}) == len(runs)  # no two runs wait alike: jitter


async def test_each_retry_is_told_the_attempt_its_error_and_the_wait() -> None:
    told: list[tuple[int, str, float]] = []
    await retry_transient(Flaky(2, TimeoutError("slow")), RetryPolicy(attempts=3, first_delay=0.0), (TimeoutError,),
                          on_retry=lambda n, exc, wait: told.append((n, str(exc), wait)), sleep=Clock().sleep)
    assert told == [(1, "slow", 0.0), (2, "slow", 0.0)]


def test_the_attempts_left_after_some_were_used_are_never_fewer_than_one() -> None:
    assert RetryPolicy(attempts=5).fewer(2).attempts == 3
    assert RetryPolicy(attempts=5).fewer(7).attempts == 1
