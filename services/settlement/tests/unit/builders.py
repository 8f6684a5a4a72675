"""Test builders: shipped packs and catalogues, and claims that read like the bills they stand for."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from libs.money import line_amount
from services.settlement.domain import (
    Accumulators,
    Catalogue,
    CatalogueRegistry,
    ChronicApproval,
    Claim,
    Coverage,
    FeeLine,
    PackRegistry,
    PolicyPack,
    Rejection,
    Settlement,
    adjudicate,
    load_catalogues,
    load_packs,
)

SETTLEMENT_DIR = Path(__file__).resolve().parents[2]
PACKS_DIR = SETTLEMENT_DIR / "policy_packs"
CATALOGUES_DIR = SETTLEMENT_DIR / "catalogue"
EXAMPLES_DIR = PACKS_DIR / "examples"

# Catalogue codes used across the tests (same codes in every provincial catalogue).
APPENDECTOMY = "003311000010000"  # 阑尾切除术, 甲类, cap 1,200
ANAESTHESIA = "003302000010000"  # 全身麻醉, 甲类, cap 900
BED = "001102000010000"  # 三人间床位费, 甲类, cap 35 (Hunan)
SINGLE_ROOM = "001102000020000"  # 单人间床位费, 甲类, cap 50 (Hunan)
NURSING = "001201000010000"  # 一般护理, 甲类, cap 20
SALINE = "XB05BBA231B002010102073"  # 氯化钠注射液, 甲类, cap 5
INFUSION_SET = "C0314020010000000001"  # 输液器, 甲类, cap 5
BLOOD_COUNT = "002203000010000"  # 血常规, 甲类, cap 20
PARACETAMOL = "XN02BEA001A001010101438"  # 甲类, cap 3
CAPTOPRIL = "XC09AAA069A001010101449"  # 甲类, cap 4
CONSULTATION = "002501000010000"  # 普通门诊诊查费, 甲类, cap 10
CEFTRIAXONE = "XJ01DDA064B002010100367"  # 乙类 10% (Hunan), cap 12
PIPERACILLIN = "XJ01CRA039B002010101445"  # 乙类 15%, cap 35
OMEPRAZOLE = "XA02BCA056B002010100332"  # 乙类 10%, cap 10
BONE_PLATE = "C0301030000000000078"  # 乙类 30%, cap 8,000
CT_HEAD = "002103000010000"  # 乙类 10%, cap 180, large equipment
MRI_HEAD = "002103000030000"  # 乙类 10%, cap 450, large equipment
VITAMINS = "XA11AAS001A001010100888"  # 自费
WOUND_PROTECTOR = "C0199990000000000001"  # 自费
DOUBLE_EYELID = "003304010080000"  # cosmetic
OSIMERTINIB = "XL01EBA078A001010100081"  # dual-channel special drug, 乙类 5%
IMATINIB = "XL01EAA011A001010100091"  # 乙类 10%
DIALYSIS = "003105000010000"  # 甲类, cap 400
DELIVERY = "003314000070000"  # 经阴道分娩, 甲类, cap 1,000
PRENATAL = "002402000010000"  # 产前检查, 甲类, cap 50
EPIDURAL = "003306000050000"  # 分娩镇痛, 自费 in Hunan / Shandong / Shanxi

PATIENT = "430102199001011234"


@cache
def packs() -> PackRegistry:
    return load_packs(PACKS_DIR)


@cache
def catalogues() -> CatalogueRegistry:
    return load_catalogues(CATALOGUES_DIR)


def pack(pack_id: str = "430100-390-2026") -> PolicyPack:
    return packs().by_id(pack_id)


def catalogue_for(region: str) -> Catalogue:
    return catalogues().catalogue_for(region)


def line(sn: str, code: str, cnt: str | int, pric: str | int | Decimal, **extra) -> FeeLine:
    cnt_, pric_ = Decimal(str(cnt)), Decimal(str(pric))
    return FeeLine(sn, code, cnt_, pric_, line_amount(cnt_, pric_), **extra)


def refund(sn: str, of: FeeLine, cnt: str | int, **extra) -> FeeLine:
    cnt_ = -Decimal(str(cnt))
    return FeeLine(sn, of.med_list_codg, cnt_, of.pric, line_amount(cnt_, of.pric), init_feedetl_sn=of.feedetl_sn, **extra)


def claim(*lines: FeeLine, **fields) -> Claim:
    defaults: dict[str, Any] = dict(  # any field overridden by name; Claim checks them
        claim_id="CLM-1", fixmedins_code="H43010200001", hosp_lv="3", psn_no=PATIENT, insutype="390",
        med_type="21", insuplc_admdvs="430100", mdtrtarea_admvs="430100", begntime=datetime(2026, 3, 2, 9, 30),
        fee_details=lines or (line("1", APPENDECTOMY, 1, 1200),),
    )
    return Claim(**(defaults | fields))


def approved(*disease_codes: str) -> tuple[ChronicApproval, ...]:
    """Chronic-disease approvals valid all of 2026."""
    return tuple(ChronicApproval(code, date(2026, 1, 1), date(2026, 12, 31)) for code in disease_codes)


def coverage_of(c: Claim, **fields) -> Coverage:
    return Coverage(psn_no=c.psn_no, insutype=c.insutype, insured_region=c.insuplc_admdvs, **fields)


def run(c: Claim, *, pack_: PolicyPack | None = None, acc: Accumulators | None = None, cov: Coverage | None = None,
        sold: frozenset[str] = frozenset(), **coverage_fields) -> Settlement | Rejection:
    return adjudicate(
        c,
        coverage=cov if cov is not None else coverage_of(c, **coverage_fields),
        accumulators=acc or Accumulators.empty(c.settlement_year),
        pack=pack_ or packs().pack_for(c.insuplc_admdvs, c.insutype, c.service_date),
        catalogue=catalogue_for(c.mdtrtarea_admvs),
        sold_traceability_codes=sold,
    )


def settle(c: Claim, **kwargs) -> Settlement:
    outcome = run(c, **kwargs)
    assert isinstance(outcome, Settlement), outcome
    return outcome


def reject(c: Claim, **kwargs) -> Rejection:
    outcome = run(c, **kwargs)
    assert isinstance(outcome, Rejection), outcome.explanation
    return outcome


def with_ratio(p: PolicyPack, care: str, level: str, ratio: str) -> PolicyPack:
    """A copy of a pack with one fund ratio changed (what-if and calibration tests)."""
    from services.settlement.domain.policy_pack import FundRatio

    table = {k: dict(v) for k, v in p.fund_ratios.items()}
    table[care][level] = FundRatio(Decimal(ratio), Decimal(ratio))
    return replace(p, fund_ratios=table)
