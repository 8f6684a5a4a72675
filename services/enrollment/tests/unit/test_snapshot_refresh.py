"""The daily refresh: snapshots the calendar changed are republished, the others only move their day on."""

from __future__ import annotations

from datetime import date

from services.enrollment.service_layer.refresh import refresh_snapshots
from services.enrollment.tests.unit.service_kit import Office, employee, resident


async def test_on_new_years_day_an_unpaid_resident_is_no_longer_insured_and_an_employee_is_left_alone() -> None:
    office = Office()
    await office.send(resident("P1", 1))
    await office.send(employee("E1", 2))
    published = await refresh_snapshots(office.db, office.service.store_for, date(2027, 1, 2), batch=1)
    assert published == 1
    lapsed = office.coverage("P1")
    assert (lapsed.version, lapsed.active, lapsed.as_of) == (2, False, date(2027, 1, 2))
    assert office.coverage("E1").version == 1
    assert office.tables["persons"]["E1"]["on"] == date(2027, 1, 2)
    assert await refresh_snapshots(office.db, office.service.store_for, date(2027, 1, 2)) == 0
