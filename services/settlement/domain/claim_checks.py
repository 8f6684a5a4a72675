"""Is the claim well formed? Every fault here is `INVALID_CLAIM`: the hospital must correct its bill."""

from __future__ import annotations

from collections import Counter

from libs.fee_lines import line_faults, refund_faults
from libs.money import line_amount
from services.settlement.domain.claim import CARE_BY_MED_TYPE, HOSPITAL_LEVELS, INSUTYPES, Claim, FeeLine
from services.settlement.domain.errors import ClaimRefused, ReasonCode


def _invalid(reason: str) -> ClaimRefused:
    return ClaimRefused(ReasonCode.INVALID_CLAIM, reason)


def check_claim_is_well_formed(claim: Claim) -> None:
    _check_header(claim)
    if not claim.fee_details:
        raise _invalid("the claim has no fee lines")
    duplicates = [sn for sn, n in Counter(line.feedetl_sn for line in claim.fee_details).items() if n > 1]
    if duplicates:
        raise _invalid(f"fee line {duplicates[0]} appears more than once; feedetl_sn must be unique")
    for line in claim.fee_details:
        _check_line_amount(line)
    _check_refunds(claim)


def _check_header(claim: Claim) -> None:
    if claim.hosp_lv not in HOSPITAL_LEVELS:
        raise _invalid(f"hosp_lv {claim.hosp_lv!r} is not one of {', '.join(HOSPITAL_LEVELS)}")
    if claim.med_type not in CARE_BY_MED_TYPE:
        raise _invalid(f"med_type {claim.med_type!r} is not one of {', '.join(CARE_BY_MED_TYPE)}")
    if claim.insutype not in INSUTYPES:
        raise _invalid(f"insutype {claim.insutype!r} is not one of {', '.join(INSUTYPES)}")
    if claim.fixmedins_type not in ("hospital", "pharmacy"):
        raise _invalid(f"fixmedins_type {claim.fixmedins_type!r} is neither hospital nor pharmacy")
    for name in ("insuplc_admdvs", "mdtrtarea_admvs"):
        code = getattr(claim, name)
        if not (code.isdigit() and len(code) == 6):
            raise _invalid(f"{name} {code!r} is not a 6-digit region code")
    if claim.med_type == "14" and not claim.opsp_dise_code:
        raise _invalid("a chronic or special outpatient claim (med_type 14) needs opsp_dise_code")


def _check_line_amount(line: FeeLine) -> None:
    for fault in line_faults(line):
        raise _invalid(f"fee line {line.feedetl_sn}: {fault}")
    expected = line_amount(line.cnt, line.pric)
    if line.det_item_fee_sumamt != expected:
        raise _invalid(
            f"fee line {line.feedetl_sn}: det_item_fee_sumamt is {line.det_item_fee_sumamt} fen but "
            f"cnt {line.cnt} × pric {line.pric} is {expected} fen"
        )


def _check_refunds(claim: Claim) -> None:
    for line, fault in refund_faults(claim.fee_details):
        raise _invalid(f"fee line {line.feedetl_sn}: {fault}")
