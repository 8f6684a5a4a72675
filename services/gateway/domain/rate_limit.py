"""A token bucket per institution: `rate` requests a second on average, bursts up to `burst`."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.gateway.domain.errors import RateLimited


@dataclass
class RateLimiter:
    rate: float
    burst: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # code -> (tokens, at)

    def take(self, institution: str, now: float) -> None:
        tokens, at = self._buckets.get(institution, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1:
            self._buckets[institution] = (tokens, now)
            raise RateLimited(f"institution {institution} sends more than {self.rate:g} requests a second "
                              f"(bursts up to {self.burst:g}); retry in {(1 - tokens) / self.rate:.1f} s")
        self._buckets[institution] = (tokens - 1, now)
