"""What the service layer needs from the outside, as protocols (Postgres, Kafka and HTTP adapters
implement them; unit tests use fakes)."""

from __future__ import annotations

from typing import Any, Protocol

from services.gateway.domain.line_split import CatalogueEntry
from services.gateway.domain.rate_limit import RatePolicy, Take


class Catalogues(Protocol):
    def for_region(self, region: str) -> dict[str, CatalogueEntry] | None: ...


class Queries(Protocol):
    async def person(self, psn_no: str) -> dict[str, Any] | None: ...

    async def person_by_certno(self, certno: str) -> dict[str, Any] | None: ...

    async def balance(self, psn_no: str) -> int | None: ...

    async def personal_part_quote(self, psn_no: str, psn_part_amt: int, acct_used_flag: bool) -> dict[str, Any]: ...

    async def accumulators(self, psn_no: str, year: int) -> dict[str, Any] | None: ...


class RateBuckets(Protocol):
    """The institutions' token buckets, shared by every gateway process (adapters/rate_buckets.py)."""

    async def take(self, institution: str, policy: RatePolicy) -> Take:
        """Refill the institution's bucket by `policy` and take one token if it holds one, as one atomic
        step: two requests at once never both get the last token."""
        ...
