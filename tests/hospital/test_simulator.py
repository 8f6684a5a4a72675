"""The simulated hospitals: a seeded, realistic stream built from the shipped reference data."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from libs.contracts.registry import UndecodableMessage, decode
from libs.hospital import reference
from libs.hospital.simulator.enroll import office_commands, optional_command
from libs.hospital.simulator.population import build_population
from libs.hospital.simulator.stream import MED_TYPE, TrafficStream
from libs.money import line_amount

CLOCK = datetime(2026, 11, 23, 10, 0)


@pytest.fixture(scope="module")
def population():
    return build_population(7, 3000, tag="T", year=2026)


@pytest.fixture(scope="module")
def scenarios(population):
    return TrafficStream(population, 11, run_tag="R", clock=CLOCK).take(4000)


def test_the_same_seed_gives_the_same_claims(population) -> None:
    first = TrafficStream(population, 3, run_tag="A", clock=CLOCK).take(200)
    again = TrafficStream(build_population(7, 3000, tag="T", year=2026), 3, run_tag="A", clock=CLOCK).take(200)
    assert [s.steps for s in first] == [s.steps for s in again]


def test_every_kind_of_visit_and_every_extra_appears(scenarios) -> None:
    kinds = Counter(s.kind for s in scenarios)
    assert set(MED_TYPE) | {"malformed"} <= set(kinds)
    tags = Counter(t for s in scenarios for t in s.tags)
    assert {"cancel", "duplicate", "resend", "not_insured", "trip"} <= set(tags)
    assert any(s.cross_region and s.filed for s in scenarios) and any(s.cross_region and not s.filed for s in scenarios)
    assert 0 < kinds["malformed"] < 0.02 * len(scenarios)


def test_stays_are_pre_settled_then_settled_and_cancels_follow_a_settlement(scenarios) -> None:
    for s in scenarios:
        whens = [step.when for step in s.steps]
        if "after:ClaimPreSettled" in whens:
            assert s.steps[0].operation == "presettle" and s.steps[1].operation == "settle"
        if s.steps[-1].operation == "cancel":
            assert s.steps[-1].when == "after:ClaimSettled"
    stays = [s for s in scenarios if s.kind in ("inpatient", "delivery")]
    assert all(s.steps[-1].request.endtime is not None for s in stays if s.steps[-1].operation == "settle")


def test_claims_add_up_and_carry_refund_lines_now_and_then(scenarios) -> None:
    lines = [ln for s in scenarios for st in s.steps if st.request is not None and st.operation != "cancel"
             for ln in st.request.fee_details]
    bad_amounts = [s for s in scenarios if "bad_amount" in s.tags]
    mismatched = [ln for ln in lines if ln.det_item_fee_sumamt != line_amount(ln.cnt, ln.pric)]
    assert len(mismatched) == len(bad_amounts)  # only the deliberately malformed ones
    assert any(ln.cnt < 0 and ln.init_feedetl_sn for ln in lines)


def test_people_are_insured_where_packs_exist_and_treated_where_catalogues_exist(population, scenarios) -> None:
    schemes = {(s.region, s.insutype) for s in reference.schemes()}
    assert {(p.insured_region, p.insutype) for p in population.people} <= schemes
    claims = [st.request for s in scenarios for st in s.steps if st.request is not None and st.operation != "cancel"]
    assert all(reference.has_catalogue(c.mdtrtarea_admvs) for c in claims)
    for claim in claims[:300]:
        codes = {i.med_list_codg for i in reference.catalogue(claim.mdtrtarea_admvs)}
        assert {ln.med_list_codg for ln in claim.fee_details} <= codes


def test_malformed_messages_are_undecodable_except_the_bill_that_does_not_add_up(scenarios) -> None:
    for s in (s for s in scenarios if s.kind == "malformed"):
        step = s.steps[0]
        if "bad_amount" in s.tags:
            assert step.request is not None
        else:
            with pytest.raises(UndecodableMessage):
                decode(step.raw)


def test_a_missing_catalogue_falls_back_to_a_built_in_list(tmp_path: Path) -> None:
    assert reference.catalogue("990100", tmp_path) == reference.FALLBACK_ITEMS
    assert reference.schemes(tmp_path) == reference.FALLBACK_SCHEMES


def test_office_commands_are_sent_only_when_the_contracts_define_them(population) -> None:
    assert optional_command("NoSuchCommand", psn_no="P1") is None
    filed = next(p for p in population.people if p.cross_region and p.filed)
    types = [type(payload).__name__ for _, payload in office_commands(filed, 2026)]
    assert types[0] == "RegisterPerson"
    employee = next(p for p in population.people if p.account_credit)
    assert "CreditPersonalAccount" in [type(payload).__name__ for _, payload in office_commands(employee, 2026)]
