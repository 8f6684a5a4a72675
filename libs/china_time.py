"""China Standard Time (UTC+8, no daylight saving): the clock of business days and night windows."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_date(moment: datetime) -> date:
    """The calendar day in China of an aware moment."""
    return moment.astimezone(CHINA_TIME).date()


def china_now() -> datetime:
    """Now, as an aware moment in China Standard Time."""
    return datetime.now(CHINA_TIME)


def his_now() -> datetime:
    """Now as a hospital's system stamps it: China's wall clock, naive, to the second (`begntime`)."""
    return china_now().replace(tzinfo=None, microsecond=0)
