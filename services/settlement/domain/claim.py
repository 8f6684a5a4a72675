"""The claim as the settlement rules see it: one visit, its fee lines, and where it happened.

It mirrors the `ClaimSubmitted` contract field for field (national interface names), plus the one
fact the contract does not carry yet: whether the hospital declared the injury work-related.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from libs.money import Fen

HOSPITAL_LEVELS = ("primary", "1", "2", "3", "provincial")

# The kind of care decides which part of a policy pack applies; med_type is the interface's code.
CARE_BY_MED_TYPE = {
    "11": "outpatient",
    "13": "emergency",
    "14": "chronic",
    "15": "special_drug",
    "21": "inpatient",
    "41": "pharmacy",
    "51": "prenatal",
    "52": "delivery",
}
OUTPATIENT_CARE = ("outpatient", "emergency", "pharmacy")
INSUTYPES = ("310", "390", "510")


@dataclass(frozen=True)
class FeeLine:
    """One line of the bill (2204 / 2301); a refund line has a negative count and `init_feedetl_sn`."""

    feedetl_sn: str
    med_list_codg: str
    cnt: Decimal
    pric: Decimal
    det_item_fee_sumamt: Fen
    init_feedetl_sn: str | None = None
    drug_trac_codg: tuple[str, ...] = ()

    @property
    def is_refund(self) -> bool:
        return self.cnt < 0


@dataclass(frozen=True)
class Claim:
    """One visit or admission to settle (or pre-settle: the rules are the same)."""

    claim_id: str
    fixmedins_code: str
    hosp_lv: str
    psn_no: str
    insutype: str
    med_type: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    begntime: datetime
    fee_details: tuple[FeeLine, ...]
    fixmedins_type: str = "hospital"
    opsp_dise_code: str | None = None
    bilg_dr_codg: str | None = None
    dise_codg: str | None = None
    # Not in the contract yet: the hospital's declaration that the injury is work-related (工伤).
    work_injury: bool = False
    # 零星报销: the office claims it after the patient paid in full (no cross-region filing needed).
    manual: bool = False

    @property
    def service_date(self) -> date:
        return self.begntime.date()

    @property
    def settlement_year(self) -> int:
        """The year whose accumulators and caps apply: the year of admission or visit."""
        return self.begntime.year

    @property
    def is_cross_region(self) -> bool:
        return self.insuplc_admdvs != self.mdtrtarea_admvs

    @property
    def care(self) -> str:
        return CARE_BY_MED_TYPE[self.med_type]


def claim_from_message(message: Any, *, work_injury: bool = False, manual: bool = False) -> Claim:
    """Build a `Claim` from anything shaped like `ClaimSubmitted` (read by attribute, no import)."""
    lines = tuple(
        FeeLine(
            feedetl_sn=line.feedetl_sn,
            med_list_codg=line.med_list_codg,
            cnt=Decimal(line.cnt),
            pric=Decimal(line.pric),
            det_item_fee_sumamt=line.det_item_fee_sumamt,
            init_feedetl_sn=line.init_feedetl_sn,
            drug_trac_codg=tuple(line.drug_trac_codg),
        )
        for line in message.fee_details
    )
    return Claim(
        claim_id=message.claim_id,
        fixmedins_code=message.fixmedins_code,
        fixmedins_type=message.fixmedins_type,
        hosp_lv=message.hosp_lv,
        psn_no=message.psn_no,
        insutype=message.insutype,
        med_type=message.med_type,
        insuplc_admdvs=message.insuplc_admdvs,
        mdtrtarea_admvs=message.mdtrtarea_admvs,
        begntime=message.begntime,
        fee_details=lines,
        opsp_dise_code=message.opsp_dise_code,
        bilg_dr_codg=message.bilg_dr_codg,
        dise_codg=message.dise_codg,
        work_injury=work_injury,
        manual=manual,
    )
