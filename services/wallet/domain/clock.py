"""The wallet's day and year are the China calendar's, whatever zone the caller's clock uses.

`libs.china_time` holds the zone (UTC+8, no daylight saving since 1991); these wrappers add the
guard a money rule needs: a naive datetime is refused rather than read in the host's zone.
"""

from __future__ import annotations

from datetime import date, datetime

from libs.china_time import CHINA_TIME, china_date
from services.wallet.domain.errors import InvalidRequest

__all__ = ["CHINA_TIME", "check_aware", "china_day", "china_time", "china_year"]


def check_aware(at: datetime, what: str = "time") -> None:
    """Refuse a naive datetime: without an offset the China day of a transfer is a guess."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidRequest(f"The {what} must carry a time zone (for example 2025-03-01T09:30:00+08:00).")


def china_time(at: datetime) -> datetime:
    check_aware(at)
    return at.astimezone(CHINA_TIME)


def china_day(at: datetime) -> date:
    """The China calendar day of `at` (the day the 3-transfers limit counts)."""
    check_aware(at)
    return china_date(at)


def china_year(at: datetime) -> int:
    """The China calendar year of `at` (the year the current-year balance belongs to)."""
    return china_time(at).year
