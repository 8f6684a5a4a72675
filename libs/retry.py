"""Retrying a transient failure (the database went away, a serialization conflict, the broker away): the one
helper, also for the loops that must outlive any outage (the outbox relay, the outcome readers): `attempts=None`.

Built on tenacity. The wait before attempt n+1 is random between 0 and `first_delay * 2**(n-1)`, capped at
`max_delay` ("full jitter"): processes that failed together, because the database restarted under all of
them, do not come back together in lock-step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_never,
    wait_random_exponential,
)

T = TypeVar("T")

OnRetry = Callable[[int, BaseException, float], None]
"""Told before each wait: the attempt that failed (1, 2...), its exception, and the seconds about to be waited."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int | None = 5  # None: no limit (until `give_up` says so)
    first_delay: float = 0.1
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        """The longest wait after failed attempt `attempt` (the jittered wait is between 0 and this)."""
        return float(min(self.first_delay * 2 ** (attempt - 1), self.max_delay))

    def fewer(self, used: int) -> RetryPolicy:
        """The same waits with the attempts left after `used` (at least one)."""
        if self.attempts is None:
            return self
        return RetryPolicy(max(1, self.attempts - used), self.first_delay, self.max_delay)


READER = RetryPolicy(attempts=None, first_delay=0.2, max_delay=2.0)
"""A loop that reads Kafka for as long as its process lives (the outcome readers): while the broker is away,
a jittered wait up to 0.2 s, doubling to 2 s."""


async def retry_transient(
    work: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    transient: tuple[type[BaseException], ...],
    *,
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    give_up: Callable[[], bool] | None = None,
) -> T:
    """`work()`, again after a jittered wait while it raises one of `transient`, `policy.attempts` times at most
    (without a limit when it is None), and not once `give_up()` is true (a loop being stopped).

    The last failure is raised as it was (no wrapper); any other exception is raised at once.
    """

    def retried(error: BaseException) -> bool:
        return isinstance(error, transient) and not (give_up is not None and give_up())

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None:
            error = state.outcome.exception()
            assert error is not None
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            on_retry(state.attempt_number, error, wait)

    retrying = AsyncRetrying(
        stop=stop_never if policy.attempts is None else stop_after_attempt(policy.attempts),
        wait=wait_random_exponential(multiplier=policy.first_delay, max=policy.max_delay),
        retry=retry_if_exception(retried),
        before_sleep=before_sleep,
        reraise=True,
        sleep=sleep or asyncio.sleep,
    )
    async def attempt() -> T:  # tenacity awaits only what a coroutine function returns: a lambda's too, here
        return await work()

    return await retrying(attempt)
