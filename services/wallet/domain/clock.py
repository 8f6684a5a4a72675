"""China time: the wallet's day and year are the China calendar's, whatever clock the caller uses.

China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact and needs no
tz database on the host.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from services.wallet.domain.errors import InvalidRequest

CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")


def check_aware(at: datetime, what: str = "time") -> None:
    """Refuse a naive datetime: without an offset the China day of a transfer is a guess."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidRequest(f"The {what} must carry a time zone (for example 2025-03-01T09:30:00+08:00).")


def china_time(at: datetime) -> datetime:
    check_aware(at)
    return at.astimezone(CHINA_TIME)


def china_day(at: datetime) -> date:
    """The China calendar day of `at` (the day the 3-transfers limit counts)."""
    return china_time(at).date()


def china_year(at: datetime) -> int:
    """The China calendar year of `at` (the year the current-year balance belongs to)."""
    return china_time(at).year
