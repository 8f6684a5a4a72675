"""Claims as a hospital's HIS would send them, for tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from libs.contracts.claims import ClaimSubmitted, FeeLine
from libs.money import line_amount

# (catalogue code, unit price in yuan, count): items every shipped catalogue lists — a consultation
# (甲类), metformin (甲类) and ceftriaxone (乙类, with a self-pay ratio).
DEFAULT_LINES = (
    ("002501000010000", Decimal("10.00"), Decimal("1")),
    ("XA10BAD010A001010100593", Decimal("12.50"), Decimal("2")),
    ("XJ01DDA064B002010100367", Decimal("8.80"), Decimal("3")),
)
REGION_OF_SCHEME = {"310": "371300", "390": "430100"}  # where shipped packs exist for each scheme


def fee_line(sn: str, code: str, pric: Decimal, cnt: Decimal) -> FeeLine:
    return FeeLine(feedetl_sn=sn, med_list_codg=code, cnt=cnt, pric=pric, det_item_fee_sumamt=line_amount(cnt, pric))


def outpatient_claim(claim_id: str, psn_no: str, *, insutype: str = "310", insured: str | None = None,
                     treated: str | None = None, hospital: str = "H43010001", action: str = "settle",
                     lines=DEFAULT_LINES, med_type: str = "11", hosp_lv: str = "3",
                     when: datetime = datetime(2026, 6, 1, 9, 30)) -> ClaimSubmitted:
    insured = insured or REGION_OF_SCHEME[insutype]
    treated = treated or insured
    if treated != insured and med_type == "11":
        med_type = "13"  # treated away from home without a filing: an emergency, which every pack settles
    return ClaimSubmitted(
        claim_id=claim_id, action=action, fixmedins_code=hospital, hosp_lv=hosp_lv,
        mdtrt_id=f"V{claim_id}", psn_no=psn_no, insutype=insutype, med_type=med_type,
        insuplc_admdvs=insured, mdtrtarea_admvs=treated, begntime=when,
        fee_details=[fee_line(str(i + 1), code, pric, cnt) for i, (code, pric, cnt) in enumerate(lines)],
    )
