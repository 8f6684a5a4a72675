"""Commands on the real Kafka reach settlement's coverage projection within a second; refusals write nothing.

Each latency runs from publishing the command to the row appearing in settlement's `coverage` table,
after one warm-up registration (consumer groups joined, connections open).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import pytest

from libs.contracts import enrollment as w
from services.enrollment.tests.integration.conftest import Office
from tests.support.clients import new_id
from tests.support.people import register

pytestmark = pytest.mark.integration

WITHIN = 1.0  # seconds
JUNE = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def resident(seq: int, *, begndate: date | None = date(2020, 1, 1)) -> w.RegisterPerson:
    return register(new_id("P"), seq, insutype="390").model_copy(update={"begndate": begndate})


async def registered(office: Office, seq: int, **kwargs: Any) -> w.RegisterPerson:
    command = resident(seq, **kwargs)
    since = time.monotonic()
    await office.send(command, JUNE)
    await office.projected(command.psn_no, lambda s: s["version"] >= 1, since=since)
    return command


@pytest.fixture(scope="module")
async def warm(office: Office) -> Office:
    await registered(office, 1)
    return office


async def test_an_enrollment_reaches_settlements_projection_within_a_second(warm: Office) -> None:
    command = resident(2)
    since = time.monotonic()
    await warm.send(command, JUNE)
    snapshot, elapsed = await warm.projected(command.psn_no, lambda s: s["active"], since=since, label="enrollment")
    assert (snapshot["insutype"], snapshot["coverage_begin"], snapshot["waiting_until"]) == ("390", "2020-01-01", None)
    assert elapsed <= WITHIN


async def test_a_late_enrollment_shows_its_waiting_period_within_a_second(warm: Office) -> None:
    person = await registered(warm, 3, begndate=None)
    late = w.EnrollResident(command_id=new_id("pay"), psn_no=person.psn_no, coverage_year=2026, cash_amount=40_000)
    since = time.monotonic()
    await warm.send(late, datetime(2026, 5, 10, 2, 0, tzinfo=UTC))
    snapshot, elapsed = await warm.projected(person.psn_no, lambda s: s["waiting_until"] is not None,
                                             since=since, label="waiting period")
    assert (snapshot["coverage_begin"], snapshot["waiting_until"]) == ("2026-05-10", "2026-08-09")
    assert elapsed <= WITHIN


async def test_a_filing_reaches_settlements_projection_within_a_second(warm: Office) -> None:
    person = await registered(warm, 4)
    filing = w.FileCrossRegionTreatment(command_id=new_id("file"), psn_no=person.psn_no, filing_id="BA-1",
                                        kind="long_term_residence", mdtrtarea_admvs="44")
    since = time.monotonic()
    await warm.send(filing, JUNE)
    snapshot, elapsed = await warm.projected(person.psn_no, lambda s: bool(s["filings"]), since=since, label="filing")
    assert snapshot["filings"] == [{"filing_id": "BA-1", "kind": "long_term_residence", "mdtrtarea_admvs": "44",
                                    "begndate": "2026-06-01", "enddate": None}]
    assert elapsed <= WITHIN


async def test_a_completed_transfer_moves_the_insured_region_within_a_second(warm: Office) -> None:
    person = await registered(warm, 5)
    psn, transfer = person.psn_no, new_id("T")
    await warm.send(w.ApplyForTransfer(command_id=new_id("t1"), psn_no=psn, transfer_id=transfer, to_admdvs="371300"), JUNE)
    await warm.send(w.RequestTransfer(command_id=new_id("t2"), psn_no=psn, transfer_id=transfer),
                    datetime(2026, 6, 5, 2, 0, tzinfo=UTC))
    await warm.projected(psn, lambda s: s["version"] >= 3, since=time.monotonic())
    since = time.monotonic()
    await warm.send(w.CompleteTransfer(command_id=new_id("t3"), psn_no=psn, transfer_id=transfer),
                    datetime(2026, 7, 1, 2, 0, tzinfo=UTC))
    snapshot, elapsed = await warm.projected(psn, lambda s: s["insuplc_admdvs"] == "371300", since=since, label="transfer")
    assert (snapshot["active"], snapshot["coverage_begin"], snapshot["continuous_years"]) == (True, "2020-01-01", 7)
    assert elapsed <= WITHIN


async def test_an_id_number_with_a_wrong_check_character_is_refused_and_nothing_is_written(warm: Office) -> None:
    good = resident(6)
    bad = good.model_copy(update={"certno": good.certno[:17] + ("0" if good.certno[17] != "0" else "1")})
    await warm.send(bad, JUNE)
    refusal = await warm.refusal(bad.command_id)
    assert (refusal.reason_code, refusal.psn_no) == ("INVALID_ID_NUMBER", bad.psn_no) and "check character" in refusal.reason
    assert await warm.enrollment_value("SELECT count(*) FROM persons WHERE psn_no = $1", bad.psn_no) == 0
    assert await warm.enrollment_value("SELECT count(*) FROM person_events WHERE psn_no = $1", bad.psn_no) == 0
    assert await warm.enrollment_value("SELECT outcome FROM enrollment_commands WHERE command_id = $1", bad.command_id) == "refused"
    assert await warm.settlement_value("SELECT count(*) FROM coverage WHERE psn_no = $1", bad.psn_no) == 0


async def test_a_relation_to_oneself_and_an_overlapping_enrollment_are_refused_and_change_nothing(warm: Office) -> None:
    person = await registered(warm, 7)
    psn = person.psn_no
    to_self = w.LinkRelative(command_id=new_id("link"), psn_no=psn, relative_psn_no=psn, relation="spouse")
    overlap = w.EnrollResident(command_id=new_id("pay"), psn_no=psn, coverage_year=2026, cash_amount=40_000)
    await warm.send(to_self, JUNE)
    await warm.send(overlap, datetime(2026, 5, 10, 2, 0, tzinfo=UTC))
    assert (await warm.refusal(to_self.command_id)).reason_code == "RELATION_TO_SELF"
    assert (await warm.refusal(overlap.command_id)).reason_code == "COVERAGE_OVERLAP"
    assert await warm.enrollment_value("SELECT count(*) FROM person_events WHERE psn_no = $1", psn) == 2
    assert await warm.enrollment_value("SELECT snapshot_version FROM persons WHERE psn_no = $1", psn) == 1
    assert await warm.settlement_value("SELECT version FROM coverage WHERE psn_no = $1", psn) == 1


async def test_a_repeated_command_id_changes_nothing(warm: Office) -> None:
    person = await registered(warm, 8)
    psn = person.psn_no
    approval = w.ApproveChronicDisease(command_id=new_id("chronic"), psn_no=psn, opsp_dise_code="M03900",
                                       begndate=date(2026, 6, 1))
    sent = await warm.send(approval, JUNE)
    await warm.send(approval, JUNE, raw=sent)  # the same message delivered twice
    await warm.send(approval, JUNE)  # the office sends the command again, in a new envelope
    marker = w.ChangeHardshipGroup(command_id=new_id("group"), psn_no=psn, hardship_group="minimum_income")
    since = time.monotonic()
    await warm.send(marker, JUNE)  # same key, so handled after the repeats
    snapshot, _ = await warm.projected(psn, lambda s: s["hardship_group"] == "minimum_income", since=since)
    assert snapshot["version"] == 3 and len(snapshot["chronic_approvals"]) == 1
    assert await warm.enrollment_value("SELECT count(*) FROM person_events WHERE psn_no = $1", psn) == 4
    assert await warm.enrollment_value("SELECT count(*) FROM enrollment_commands WHERE psn_no = $1", psn) == 3
