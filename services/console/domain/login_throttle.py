"""How many failed sign-ins the console takes before it stops looking at passwords for a while.

Counted over a sliding window three ways: one user name from one client address (someone guessing an
operator's password), many names from one address (someone trying names), and one name from every
address (a guess spread over many addresses). While any count is at its limit the sign-in is refused
before the password is compared, so a locked name cannot be guessed further; the answer says when to
try again.

A name is locked from everywhere only at the third, higher limit: a few wrong tries from an attacker's
address lock that address's attempts, not the operator at their desk. A successful sign-in forgets the
name's failures from its own address (the operator's typos), not those from elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    per_username_address: int = 5
    per_address: int = 20
    per_username: int = 50
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins within the window: how many, and when the oldest of them was."""

    count: int = 0
    oldest: datetime | None = None


@dataclass(frozen=True)
class FailureCounts:
    """The failures that bear on one attempt: its name from its address, its address, its name."""

    name_at_address: Failures = Failures()
    address: Failures = Failures()
    name: Failures = Failures()


class LoginLocked(Exception):
    def __init__(self, retry_after_s: int) -> None:
        minutes = max(1, math.ceil(retry_after_s / 60))
        super().__init__(f"Too many failed sign-ins for this user name or from this address: sign-in is locked. "
                         f"Try again in {minutes} minute{'s' if minutes > 1 else ''}.")
        self.retry_after_s = retry_after_s


def check_not_locked(policy: ThrottlePolicy, counts: FailureCounts, now: datetime) -> None:
    """Refuse while any count has reached its limit, until its oldest failure leaves the window."""
    limits = ((counts.name_at_address, policy.per_username_address), (counts.address, policy.per_address),
              (counts.name, policy.per_username))
    waits = [(f.oldest + policy.window - now).total_seconds()
             for f, limit in limits if f.count >= limit and f.oldest is not None]
    if waits:
        raise LoginLocked(max(1, math.ceil(max(waits))))
