"""Read-only answers for offices: a person's coverage on a day (like 1101) and the premium they owe.

The ID number and the name are masked (libs.masking): a clerk recognises the person, a log or a
screenshot does not identify them.
"""

from __future__ import annotations

from datetime import date

from libs.contracts import enrollment as w
from libs.masking import mask_id_number, mask_name
from services.enrollment.domain import PolicyBook, premium_split
from services.enrollment.service_layer.ports import EnrollmentStore
from services.enrollment.service_layer.snapshots import coverage_changed


async def person_coverage(store: EnrollmentStore, psn_no: str, on: date) -> w.PersonCoverage | None:
    stored = await store.get_person(psn_no, for_update=False)
    if stored is None:
        return None
    state = stored.person.state
    return w.PersonCoverage(
        certno=mask_id_number(state.id_number), psn_name=mask_name(state.name),
        coverage=coverage_changed(stored.person.view(on), max(stored.snapshot_version, 1)),
    )


async def person_by_certno(store: EnrollmentStore, certno: str, on: date) -> w.PersonCoverage | None:
    """The same answer found by the resident ID number (the national 1101 looks people up by credential)."""
    psn_no = await store.psn_no_by_certno(certno)
    return None if psn_no is None else await person_coverage(store, psn_no, on)


async def resident_premium(store: EnrollmentStore, policy: PolicyBook, psn_no: str, coverage_year: int) -> w.ResidentPremiumQuote | None:
    """What the person pays for `coverage_year`; PolicyNotConfigured when the region or the group has no rule."""
    stored = await store.get_person(psn_no, for_update=False)
    if stored is None:
        return None
    state = stored.person.state
    year = policy.resident_year(state.insured_region, coverage_year)
    subsidy, personal_part = premium_split(year, state)
    return w.ResidentPremiumQuote(
        psn_no=psn_no, coverage_year=coverage_year, insuplc_admdvs=state.insured_region,
        payment_opens_on=year.payment_opens_on, payment_closes_on=year.payment_closes_on,
        late_enrollment_allowed=year.late_enrollment_allowed, personal_premium=year.personal_premium,
        subsidy=subsidy, personal_part=personal_part,
    )
