"""Split each fee line by policy scope: 全自费, 超限价自费, 先行自付 and 符合政策范围.

A refund line takes back its share of the original line's split, part by part, computed on the
count refunded so far, so refunding every unit (in one line or several) undoes the original exactly.
"""

from __future__ import annotations

from decimal import Decimal

from libs.fee_lines import refund_share, refunded_before
from libs.money import Fen, apply_ratio, format_yuan, line_amount
from services.settlement.domain.accumulators import LargeExam
from services.settlement.domain.catalogue import CLASS_B, SELF_PAY, Catalogue, CatalogueItem
from services.settlement.domain.claim import Claim, FeeLine
from services.settlement.domain.errors import ClaimRefused, ReasonCode
from services.settlement.domain.policy_pack import PolicyPack
from services.settlement.domain.settlement import LineSplit
from services.settlement.domain.wording import percent

_PARTS = ("fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt")


def split_fee_lines(
    claim: Claim, catalogue: Catalogue, pack: PolicyPack, recent_exams: tuple[LargeExam, ...]
) -> tuple[LineSplit, ...]:
    originals = {
        line.feedetl_sn: _split_original(line, catalogue, claim, pack, recent_exams)
        for line in claim.fee_details
        if not line.is_refund
    }
    counts = {line.feedetl_sn: line.cnt for line in claim.fee_details}
    before = refunded_before(claim.fee_details)
    splits = tuple(
        _split_refund(line, originals[line.init_feedetl_sn], counts[line.init_feedetl_sn], before[line.feedetl_sn])
        if line.is_refund and line.init_feedetl_sn
        else originals[line.feedetl_sn]
        for line in claim.fee_details
    )
    _check_nets(claim, splits)
    return splits


def repeat_of(item: CatalogueItem, claim: Claim, pack: PolicyPack, recent: tuple[LargeExam, ...]) -> LargeExam | None:
    """The earlier exam this one repeats within the pack's window, if any."""
    window = pack.exclusions.repeat_large_exam_within_days
    if not item.large_equipment or window is None:
        return None
    same = (e for e in recent if e.med_list_codg == item.med_list_codg)
    return next((e for e in same if 0 <= (claim.service_date - e.exam_date).days <= window), None)


def exams_performed(
    claim: Claim, catalogue: Catalogue, pack: PolicyPack, recent: tuple[LargeExam, ...]
) -> tuple[LargeExam, ...]:
    """Large-equipment exams this claim reimburses (net of refunds): the next claims' `recent`."""
    net: dict[str, Decimal] = {}
    for line in claim.fee_details:
        code = line.med_list_codg
        net[code] = net.get(code, Decimal(0)) + line.cnt
    performed = set()
    for code, cnt in net.items():
        item = catalogue.get(code)
        reimbursed = item is not None and item.chrgitm_lv != SELF_PAY and repeat_of(item, claim, pack, recent) is None
        if item is not None and item.large_equipment and cnt > 0 and reimbursed:
            performed.add(LargeExam(code, claim.service_date))
    return tuple(sorted(performed))


def _self_pay_reason(item: CatalogueItem | None, claim: Claim, catalogue: Catalogue, pack: PolicyPack,
                     recent: tuple[LargeExam, ...]) -> str | None:
    if item is None:
        return f"not in the catalogue of region {catalogue.region}; treated as 全自费"
    if item.cosmetic and pack.exclusions.cosmetic:
        return "cosmetic service, not reimbursable: 全自费"
    if item.chrgitm_lv == SELF_PAY:
        return "自费 item (class 3): 全自费"
    if claim.care == "special_drug" and not item.special_drug:
        return ("not a special drug: a special-drug settlement (med_type 15) pays only the dual-channel drug; "
                "settle other care under its own med_type: 全自费 here")
    earlier = repeat_of(item, claim, pack, recent)
    if earlier is not None:
        days = pack.exclusions.repeat_large_exam_within_days
        return (f"repeats the large-equipment exam of {earlier.exam_date.isoformat()} within {days} days "
                f"({pack.cite('exclusions.repeat_large_exam_within_days')}): 全自费")
    return None


def _split_original(line: FeeLine, catalogue: Catalogue, claim: Claim, pack: PolicyPack,
                    recent: tuple[LargeExam, ...]) -> LineSplit:
    item = catalogue.get(line.med_list_codg)
    amount = line.det_item_fee_sumamt
    reason = _self_pay_reason(item, claim, catalogue, pack, recent)
    if item is None or reason is not None:
        return _line(line, item, (amount, 0, 0, 0), reason)
    notes, over = [], 0
    if item.pric_uplmt_amt is not None:
        over = max(0, amount - line_amount(line.cnt, Decimal(item.pric_uplmt_amt) / 100))
        if over:
            notes.append(f"price {line.pric} above the cap {format_yuan(item.pric_uplmt_amt)}: 超限价 {format_yuan(over)}")
    base = amount - over
    pre = apply_ratio(base, item.selfpay_prop) if item.chrgitm_lv == CLASS_B else 0
    if pre:
        notes.append(f"乙类: 先行自付 {format_yuan(pre)} = {format_yuan(base)} × {percent(item.selfpay_prop)}")
    return _line(line, item, (0, over, pre, base - pre), "; ".join(notes) or None)


def _split_refund(line: FeeLine, original: LineSplit, original_cnt: Decimal, before: Decimal) -> LineSplit:
    """Each part of the original takes back its share of the count refunded so far; the amount taken
    back is the same share of the original's amount, which may differ by a fen from the refund line's
    own rounding (the last of several single-unit refunds takes back what is left, no more)."""
    parts = [getattr(original, name) for name in _PARTS]
    amount = refund_share(original.det_item_fee_sumamt, original_cnt, before, line.cnt)
    taken = [refund_share(p, original_cnt, before, line.cnt) for p in parts]
    # The largest part absorbs the rounding, so the refund's parts sum to the amount taken back exactly.
    largest = max(range(len(parts)), key=lambda i: parts[i])
    taken[largest] = amount - (sum(taken) - taken[largest])
    note = f"refund of {-line.cnt} of {original_cnt} units of line {original.feedetl_sn}, split as that line"
    if amount != line.det_item_fee_sumamt:
        note += (f"; takes back {format_yuan(-amount)}, not its own rounded {format_yuan(-line.det_item_fee_sumamt)}, "
                 "so the line's refunds never return more than it charged")
    return LineSplit(
        line.feedetl_sn, original.med_list_codg, original.name, original.chrgitm_lv, original.selfpay_prop,
        original.pric_uplmt_amt, amount, **dict(zip(_PARTS, taken, strict=True)), note=note,
    )


def _check_nets(claim: Claim, splits: tuple[LineSplit, ...]) -> None:
    """No part of a line may turn negative once its refunds are taken off (amounts out of step)."""
    net: dict[str, list[Fen]] = {}
    for line, split in zip(claim.fee_details, splits, strict=True):
        totals = net.setdefault(line.init_feedetl_sn or line.feedetl_sn, [0, 0, 0, 0])
        for i, name in enumerate(_PARTS):
            totals[i] += getattr(split, name)
    if any(part < 0 for totals in net.values() for part in totals):
        raise ClaimRefused(ReasonCode.INVALID_CLAIM, "refund amounts do not match the lines they refund")


def _line(line: FeeLine, item: CatalogueItem | None, parts: tuple[Fen, Fen, Fen, Fen], note: str | None) -> LineSplit:
    return LineSplit(
        feedetl_sn=line.feedetl_sn, med_list_codg=line.med_list_codg,
        name=item.name if item else "(not in catalogue)",
        chrgitm_lv=item.chrgitm_lv if item else SELF_PAY,
        selfpay_prop=item.selfpay_prop if item else Decimal(0),
        pric_uplmt_amt=item.pric_uplmt_amt if item else None,
        det_item_fee_sumamt=line.det_item_fee_sumamt, **dict(zip(_PARTS, parts, strict=True)), note=note,
    )
