"""How many failed sign-ins the console takes before it stops looking at passwords for a while.

Counted per user name (guessing one operator's password) and per client address (trying many names
from one place), over a sliding window. While either count is at its limit the sign-in is refused
before the password is compared, so a locked name cannot be guessed further; the answer says when to
try again. A successful sign-in forgets the name's failures (other names' failures from its address
still count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    per_username: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins within the window: how many, and when the oldest of them was."""

    count: int = 0
    oldest: datetime | None = None


class LoginLocked(Exception):
    def __init__(self, retry_after_s: int) -> None:
        minutes = max(1, math.ceil(retry_after_s / 60))
        super().__init__(f"Too many failed sign-ins for this user name or from this address: sign-in is locked. "
                         f"Try again in {minutes} minute{'s' if minutes > 1 else ''}.")
        self.retry_after_s = retry_after_s


def check_not_locked(policy: ThrottlePolicy, by_username: Failures, by_address: Failures, now: datetime) -> None:
    """Refuse while either count has reached its limit, until its oldest failure leaves the window."""
    waits = [(f.oldest + policy.window - now).total_seconds()
             for f, limit in ((by_username, policy.per_username), (by_address, policy.per_address))
             if f.count >= limit and f.oldest is not None]
    if waits:
        raise LoginLocked(max(1, math.ceil(max(waits))))
