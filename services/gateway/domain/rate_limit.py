"""The rate policy: a token bucket per institution, `rate_per_s` requests a second on average, bursts up
to `burst`.

The bucket itself is shared by every gateway process (adapters/rate_buckets.py keeps it in the gateway's
database, refilled and taken in one statement); this module is the rule both the database statement and
the in-memory fake follow, and the refusal the clerk reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.gateway.domain.errors import RateLimited


@dataclass(frozen=True)
class Take:
    """One request's turn at its institution's bucket: whether it got a token, and the tokens the bucket
    holds after it (what was left when it got none: fewer than one)."""

    taken: bool
    tokens: float


@dataclass(frozen=True)
class RatePolicy:
    rate_per_s: float
    burst: float

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError(f"a rate above 0 and a burst of at least 1 are needed, not {self.rate_per_s}/{self.burst}")

    def refilled(self, tokens: float, elapsed_s: float) -> float:
        """Tokens return at `rate_per_s` since the bucket was last touched, up to `burst`. Time that runs
        backwards (a clock set back) returns none."""
        return min(self.burst, tokens + max(0.0, elapsed_s) * self.rate_per_s)

    def take(self, tokens: float | None, elapsed_s: float) -> Take:
        """A request at a bucket holding `tokens` `elapsed_s` ago (None: an institution not seen yet,
        whose bucket starts full)."""
        level = self.burst if tokens is None else self.refilled(tokens, elapsed_s)
        return Take(True, level - 1) if level >= 1 else Take(False, level)

    def retry_after_s(self, tokens: float) -> int:
        """Whole seconds until a bucket holding `tokens` has one again (at least 1: HTTP's Retry-After)."""
        return max(1, math.ceil((1 - tokens) / self.rate_per_s))

    def check(self, institution: str, take: Take) -> None:
        """Refuse a request that got no token, saying when to send again."""
        if not take.taken:
            wait = self.retry_after_s(take.tokens)
            raise RateLimited(f"institution {institution} sends more than {self.rate_per_s:g} requests a second "
                              f"(bursts up to {self.burst:g}, over all gateway processes); retry in {wait} s",
                              retry_after_s=wait)
