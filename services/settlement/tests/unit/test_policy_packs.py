"""Policy packs are data: the shipped ones load, a broken one is refused with a precise message."""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal

import pytest
import yaml

from services.settlement.domain import PackRegistry, ReferenceDataError, load_pack_file, load_packs, parse_pack

from .builders import PACKS_DIR, pack

SOURCE = "430100-390-2026.yaml"


def document() -> dict:
    return yaml.safe_load((PACKS_DIR / SOURCE).read_text(encoding="utf-8"))


def refusal(change) -> str:
    doc = copy.deepcopy(document())
    change(doc)
    with pytest.raises(ReferenceDataError) as caught:
        parse_pack(doc, SOURCE)
    return str(caught.value)


def test_the_shipped_packs_load():
    assert {p.id for p in load_packs(PACKS_DIR)} >= {"430100-390-2026", "371300-390-2026", "371300-310-2026", "140100-390-2026"}


def test_a_pack_expresses_every_parameter_of_the_sources():
    p = pack("430100-390-2026")
    assert p.inpatient.by_level == {"primary": 20000, "1": 50000, "2": 80000, "3": 120000, "provincial": 200000}
    assert (p.inpatient.repeat_admission_ratio, p.inpatient.yearly_cap) == (Decimal("0.5"), 300000)
    assert (p.critical_illness.increment_per_continuous_year, p.critical_illness.continuous_years_before_increment) == (300000, 4)
    assert p.exclusions.repeat_large_exam_within_days == 30
    shanxi = pack("140100-390-2026")
    assert (shanxi.outpatient_pooling.per_day_cap, shanxi.outpatient_pooling.annual_cap) == (5000, 20000)
    assert shanxi.chronic.groups["two_diseases"].deductible == 3000
    assert pack("371300-390-2026").maternity.delivery_standard == 300000
    assert pack("371300-310-2026").maternity.delivery_standard is None


def test_assumed_values_are_marked_and_cited_as_such():
    p = pack("430100-390-2026")
    assert p.is_assumed("fund_ratios.inpatient.3") and not p.is_assumed("inpatient.deductible.3")
    assert p.is_assumed("assistance.groups.minimum_income")  # the whole section is assumed
    assert p.cite("pooling_annual_cap") == "pack 430100-390-2026 (assumed value)"


def test_a_float_ratio_is_refused_with_the_field_path():
    message = refusal(lambda d: d["fund_ratios"]["inpatient"].update({"3": 0.65}))
    assert message.startswith("430100-390-2026.yaml: fund_ratios.inpatient.3: write it as a quoted string")


def test_a_missing_hospital_level_is_refused():
    message = refusal(lambda d: d["inpatient"]["deductible"].pop("provincial"))
    assert message == "430100-390-2026.yaml: inpatient.deductible: missing hospital level 'provincial'; every level needs a value"


def test_an_unknown_key_is_refused():
    assert "inpatient: unknown key 'deductable'" in refusal(lambda d: d["inpatient"].update({"deductable": "1"}))


def test_a_ratio_above_one_is_refused():
    assert "chronic.groups.major.ratio: a ratio must lie between 0 and 1" in refusal(
        lambda d: d["chronic"]["groups"]["major"].update({"ratio": "1.7"}))


def test_an_assumed_path_that_names_nothing_is_refused():
    assert "'fund_ratio.inpatient' names no parameter" in refusal(lambda d: d["assumed"].append("fund_ratio.inpatient"))


def test_an_id_that_does_not_match_region_scheme_and_year_is_refused():
    assert "id: expected 430100-390-2026" in refusal(lambda d: d.update({"id": "430100-310-2026"}))


def test_a_chronic_disease_in_an_unknown_group_is_refused():
    assert "chronic.diseases.0.group: no chronic group 'rare'" in refusal(
        lambda d: d["chronic"]["diseases"][0].update({"group": "rare"}))


def test_critical_illness_tiers_must_rise():
    assert "critical_illness.tiers.1.up_to: tiers must rise" in refusal(
        lambda d: d["critical_illness"]["tiers"][1].update({"up_to": "40000"}))


def test_a_pack_file_must_be_named_after_its_id(tmp_path):
    (tmp_path / "changsha.yaml").write_text((PACKS_DIR / SOURCE).read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=re.escape("must be named 430100-390-2026.yaml")):
        load_pack_file(tmp_path / "changsha.yaml")


def test_the_registry_picks_the_pack_in_force_on_the_date_of_service():
    doc_2027 = document() | {"id": "430100-390-2027", "effective_from": date(2027, 1, 1), "effective_to": date(2027, 12, 31)}
    registry = PackRegistry([pack(), parse_pack(doc_2027, "430100-390-2027.yaml")])
    assert registry.pack_for("430100", "390", date(2026, 12, 31)).id == "430100-390-2026"
    assert registry.pack_for("430100", "390", date(2027, 1, 1)).id == "430100-390-2027"


def test_two_packs_in_force_on_the_same_day_are_refused():
    overlapping = document() | {"id": "430100-390-2026-b", "effective_from": date(2026, 7, 1)}
    with pytest.raises(ValueError, match="both in force"):
        PackRegistry([pack(), parse_pack(overlapping, "430100-390-2026-b.yaml")])


def test_an_optional_limit_must_still_be_written_out():
    message = refusal(lambda d: d["outpatient_pooling"].pop("per_day_cap"))
    assert message == "430100-390-2026.yaml: outpatient_pooling: missing key 'per_day_cap'"


def test_a_document_that_is_not_a_mapping_is_refused():
    with pytest.raises(ReferenceDataError, match=r"430100-390-2026.yaml: \(document\): expected a mapping"):
        parse_pack(["not", "a", "pack"], SOURCE)
