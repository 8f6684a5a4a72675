"""Year-to-date accumulators (5206 累计信息) and the exact change one settlement makes to them.

Every counter is an integer (fen or a count) for one person, scheme and settlement year, so the
service layer can keep them in one flat Postgres row and apply a delta with `counter = counter + d`.
Two things are not yearly: `outpatient_pooling_paid_on_day` is the amount already paid on the
claim's date of service (kept per day), and `large_exams` are the person's recent large-equipment
exams (kept as rows). A delta names its `service_date`, so it can be applied to the right day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from libs.money import Fen


@dataclass(frozen=True, order=True)
class LargeExam:
    """A reimbursed large-equipment exam (CT, MRI, PET-CT…) and its date."""

    med_list_codg: str
    exam_date: date


# The additive counters, shared by `Accumulators` and `AccumulatorDelta`.
COUNTERS = (
    "deductible_paid",  # inpatient deductibles applied (towards the yearly deductible cap)
    "admissions",  # inpatient settlements (the 2nd and later pay a reduced deductible)
    "pooling_paid",  # pooling fund paid for inpatient, chronic and special-drug care (annual cap)
    "outpatient_deductible_paid",  # outpatient-pooling deductible applied
    "outpatient_pooling_paid",  # outpatient pooling paid (its own annual cap)
    "outpatient_pooling_paid_on_day",  # outpatient pooling paid on the date of service
    "chronic_deductible_paid",  # chronic-disease deductible applied
    "prenatal_paid",  # prenatal-care benefit paid
    "critical_illness_base",  # costs counted towards the critical-illness threshold
    "critical_illness_paid",  # critical-illness / large-amount fund paid
    "assistance_paid",  # medical assistance paid
)  # the fields of `_Counters` below, in order (a test holds them to it)
# The counters kept per person and year (the daily one is kept per person and day).
YEARLY = tuple(name for name in COUNTERS if name != "outpatient_pooling_paid_on_day")
# How far around the date of service the person's large exams are read: wider than any pack's window.
LARGE_EXAM_LOOKBACK_DAYS = 60


def exam_window(day: date) -> tuple[date, date]:
    """The first and last exam dates read for a claim on `day` (the one definition of the window)."""
    reach = timedelta(days=LARGE_EXAM_LOOKBACK_DAYS)
    return day - reach, day + reach


def in_exam_window(day: date, exam_date: date) -> bool:
    """Whether a claim on `day` reads an exam of `exam_date` (the window of `exam_window`)."""
    first, last = exam_window(day)
    return first <= exam_date <= last


def add_counters(counters: Mapping[str, int], delta: AccumulatorDelta, names: tuple[str, ...] = COUNTERS) -> dict[str, int]:
    """`counter + delta` for each of `names`: the one definition of applying a delta's counters."""
    return {name: counters[name] + getattr(delta, name) for name in names}


@dataclass(frozen=True, kw_only=True)
class _Counters:
    """The additive counters (`COUNTERS`, in that order), declared once for both classes below."""

    deductible_paid: Fen = 0
    admissions: int = 0
    pooling_paid: Fen = 0
    outpatient_deductible_paid: Fen = 0
    outpatient_pooling_paid: Fen = 0
    outpatient_pooling_paid_on_day: Fen = 0
    chronic_deductible_paid: Fen = 0
    prenatal_paid: Fen = 0
    critical_illness_base: Fen = 0
    critical_illness_paid: Fen = 0
    assistance_paid: Fen = 0


@dataclass(frozen=True)
class Accumulators(_Counters):
    """What the person has used so far in `year`, before the claim being adjudicated."""

    year: int
    large_exams: tuple[LargeExam, ...] = ()

    def __post_init__(self) -> None:
        # Sorted, so two snapshots with the same exams compare equal whatever the order of arrival.
        object.__setattr__(self, "large_exams", tuple(sorted(self.large_exams)))

    @classmethod
    def empty(cls, year: int) -> Accumulators:
        return cls(year=year)

    def apply(self, delta: AccumulatorDelta) -> Accumulators:
        """The accumulators after a settlement (or its reversal) with this delta."""
        if delta.year != self.year:
            raise ValueError(f"a {delta.year} delta cannot change {self.year} accumulators")
        exams = list(self.large_exams)
        for exam in delta.large_exams_removed:
            exams.remove(exam)
        exams.extend(delta.large_exams_added)
        return replace(self, large_exams=tuple(exams), **add_counters(self.counters(), delta))

    def counters(self) -> dict[str, int]:
        """The flat row: year and every counter."""
        return {"year": self.year} | {name: getattr(self, name) for name in COUNTERS}


@dataclass(frozen=True)
class AccumulatorDelta(_Counters):
    """The exact change one settlement makes; `negated()` is the change its cancellation makes."""

    year: int
    service_date: date
    large_exams_added: tuple[LargeExam, ...] = ()
    large_exams_removed: tuple[LargeExam, ...] = ()

    def negated(self) -> AccumulatorDelta:
        counters = {name: -getattr(self, name) for name in COUNTERS}
        return replace(
            self,
            large_exams_added=self.large_exams_removed,
            large_exams_removed=self.large_exams_added,
            **counters,
        )

    def counters(self) -> dict[str, int | date]:
        """The flat row: year, service date and every counter."""
        row: dict[str, int | date] = {"year": self.year, "service_date": self.service_date}
        return row | {name: getattr(self, name) for name in COUNTERS}

