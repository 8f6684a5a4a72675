"""What the wallet knows of enrollment: its projection of `CoverageChanged`, and credits waiting for it.

Binding needs both people's insurance status, a credit needs the person's insured region (it names the
credit's source account), and a relative's premium goes to the relative's region. A credit can arrive
before the person's first coverage (they travel on different topics): it waits, and is applied when the
coverage arrives. Both sides take the person's account lock first, so no credit is left waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from libs.contracts.enrollment import CoverageChanged
from libs.contracts.wallet import CreditPersonalAccount
from services.wallet.domain import InsuranceStatus

EMPLOYEE_SCHEME = "310"  # 职工基本医疗保险: the scheme with a personal account


class Projected(StrEnum):
    FIRST = "first"  # the person's first coverage: credits may be waiting for it
    NEWER = "newer"
    STALE = "stale"  # an older version than the one held: ignored


@dataclass(frozen=True)
class Person:
    psn_no: str
    insutype: str
    region: str
    active: bool
    coverage_end: date | None

    def insured_on(self, day: date) -> bool:
        return self.active and (self.coverage_end is None or day <= self.coverage_end)


def insurance_status(psn_no: str, person: Person | None, today: date) -> InsuranceStatus:
    """A person enrollment never told us about is not insured, as far as the wallet knows."""
    if person is None:
        return InsuranceStatus(psn_no, insured=False, has_personal_account=False)
    return InsuranceStatus(psn_no, insured=person.insured_on(today),
                           has_personal_account=person.insutype == EMPLOYEE_SCHEME)


class PersonsProjection(Protocol):
    async def project(self, coverage: CoverageChanged) -> Projected:
        """Keep the snapshot if its version is newer than the one held."""
        ...

    async def person(self, psn_no: str) -> Person | None: ...

    async def park_credit(self, credit: CreditPersonalAccount, event_id: str) -> CreditPersonalAccount:
        """Keep the credit until the person's coverage arrives; return the credit parked under its id
        (an earlier one, if the id was parked before)."""
        ...

    async def parked_credits(self, psn_no: str) -> list[CreditPersonalAccount]:
        """The person's waiting credits, in arrival order."""
        ...

    async def unpark_credit(self, credit_id: str) -> None: ...
