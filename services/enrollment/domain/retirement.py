"""Employee retirement benefits (退休待遇, source 003).

Deemed years (视同缴费年限, service before the region's employee scheme began) plus actual years
(实际缴费年限) must reach 25 for men and 20 for women, with at least 10 actual years. Whoever falls short
may pay the missing years in one sum; that payment counts as actual years, so the shortfall is whatever
makes both conditions true at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.enrollment.domain.vocabulary import Sex

REQUIRED_TOTAL_MONTHS = {Sex.MALE: 25 * 12, Sex.FEMALE: 20 * 12}
REQUIRED_ACTUAL_MONTHS = 10 * 12


@dataclass(frozen=True)
class RetirementEligibility:
    deemed_months: int
    actual_months: int
    required_total_months: int
    shortfall_months: int  # to be paid in one sum before retirement benefits apply

    @property
    def eligible(self) -> bool:
        return self.shortfall_months == 0

    @property
    def shortfall(self) -> tuple[int, int]:
        """The shortfall as (years, months)."""
        return divmod(self.shortfall_months, 12)

    def describe_shortfall(self) -> str:
        years, months = self.shortfall
        return f"{years} year(s) {months} month(s)"


def retirement_eligibility(sex: Sex, *, deemed_months: int, actual_months: int) -> RetirementEligibility:
    required_total = REQUIRED_TOTAL_MONTHS[sex]
    shortfall = max(0, required_total - deemed_months - actual_months, REQUIRED_ACTUAL_MONTHS - actual_months)
    return RetirementEligibility(deemed_months, actual_months, required_total, shortfall)
