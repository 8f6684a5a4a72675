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


async def test_without_a_limit_the_work_is_retried_for_as_long_as_it_fails() -> None:
    work, clock = Flaky(50, ConnectionError("broker away")), Clock()
    forever = RetryPolicy(attempts=None, first_delay=0.1, max_delay=2.0)
    assert await retry_transient(work, forever, (ConnectionError,), sleep=clock.sleep) == "done"
    assert work.calls == 51 and len(clock.waits) == 50 and all(0 <= wait <= 2.0 for wait in clock.waits)
    assert forever.fewer(40) is forever


async def test_a_loop_being_stopped_is_not_retried_and_its_last_failure_is_raised() -> None:
    error = ConnectionError("still down")
    work, clock, stopping = Flaky(99, error), Clock(), [False]

    async def sleep(seconds: float) -> None:
        await clock.sleep(seconds)
        stopping[0] = len(clock.waits) == 3  # stopped during the third wait

    with pytest.raises(ConnectionError) as raised:
        await retry_transient(work, RetryPolicy(attempts=None), (ConnectionError,), sleep=sleep,
                              give_up=lambda: stopping[0])
    assert raised.value is error and work.calls == 4 and len(clock.waits) == 3


async def test_the_gateways_outcome_reader_waits_jittered_and_growing_while_the_broker_is_away(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from aiokafka.errors import KafkaConnectionError

    from libs.hospital.outcomes import OutcomeRouter
    from services.gateway.adapters.outcomes import OutcomeListener

    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float, *args: object) -> None:
        waits.append(seconds)
        await real_sleep(0)

    class AwayThenBack:
        calls = 0

        async def getmany(self, **_: object) -> dict[object, list[object]]:
            self.calls += 1
            if self.calls <= 12:
                raise KafkaConnectionError("broker away")
            raise asyncio.CancelledError  # the broker is back; the test stops the reader here

    listener = OutcomeListener("127.0.0.1:9", "", OutcomeRouter())
    consumer = AwayThenBack()
    listener._consumer = consumer
    monkeypatch.setattr("asyncio.sleep", sleep)
    with pytest.raises(asyncio.CancelledError):
        await listener._read()
    assert consumer.calls == 13 and len(waits) == 12
    assert all(0 <= wait <= 2.0 for wait in waits) and len(set(waits)) == 12  # jittered, capped at 2 s
    assert sum(waits) > 1.0  # growing: a dozen waits are not a spin


async def test_work_given_as_a_lambda_that_returns_a_coroutine_is_awaited_and_retried() -> None:
    work, clock = Flaky(2, ConnectionError("gateway starting")), Clock()
    assert await retry_transient(lambda: work(), RetryPolicy(attempts=5), (ConnectionError,), sleep=clock.sleep) == "done"
    assert work.calls == 3 and len(clock.waits) == 2
