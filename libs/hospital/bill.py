"""Turning what a HIS already has (a visit and its fee lines) into a `ClaimSubmitted`, checked first.

A HIS keeps fee lines with the national interface's names (2204 / 2301 upload): `feedetl_sn`,
`med_list_codg`, `cnt`, `pric` and `det_item_fee_sumamt` **in yuan**, as the national interface
has them. `build_claim` converts the amounts to integer fen (the platform's unit), checks everything
a clerk can fix before the claim leaves the hospital, and raises `InvalidClaim` listing every problem
at once, each naming the field or the fee line it is about.

Amounts are never floats: pass `Decimal`, `int` or strings such as "35.50".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from libs.contracts.claims import ClaimCancelRequested, ClaimSubmitted, FeeLine
from libs.hospital import rules
from libs.hospital.rules import Problem
from libs.money import MoneyError, format_yuan, line_amount, yuan_to_fen


class InvalidClaim(ValueError):
    """The claim was not sent: every problem found, each a sentence a clerk can act on."""

    def __init__(self, claim_id: str, problems: list[Problem]) -> None:
        self.claim_id, self.problems = claim_id, problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"claim {claim_id!r} was not sent; please correct:\n{lines}")


@dataclass(frozen=True)
class Visit:
    """What the HIS knows about the visit, with the national field names (see ClaimSubmitted)."""

    fixmedins_code: str
    hosp_lv: str
    mdtrt_id: str
    psn_no: str
    insutype: str
    med_type: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    begntime: datetime
    endtime: datetime | None = None
    fixmedins_type: str = "hospital"
    dise_codg: str | None = None
    opsp_dise_code: str | None = None
    bilg_dr_codg: str | None = None
    acct_used_flag: bool = True


@dataclass
class _Line:
    where: str
    feedetl_sn: str
    init_feedetl_sn: str | None
    med_list_codg: str
    cnt: Decimal | None
    pric: Decimal | None
    fen: int | None
    drug_trac_codg: list[str] = field(default_factory=list)


def build_claim(claim_id: str, visit: Visit | Mapping[str, Any], fee_lines: Iterable[Mapping[str, Any]],
                action: str = "settle") -> ClaimSubmitted:
    """A validated claim, or `InvalidClaim` with every problem found."""
    v = visit if isinstance(visit, Visit) else _visit_from(visit)
    problems: list[Problem] = []
    if not claim_id or len(claim_id) > 64:
        problems.append(Problem("claim_id", "the claim id must have 1 to 64 characters"))
    if action not in ("settle", "presettle"):
        problems.append(Problem("action", f"action must be 'settle' or 'presettle', not {action!r}"))
    problems += rules.check_visit(v, action)
    lines = [_read_line(n, raw, problems) for n, raw in enumerate(fee_lines, 1)]
    problems += rules.check_lines(lines)
    if problems:
        raise InvalidClaim(claim_id, problems)
    try:
        return ClaimSubmitted(
            claim_id=claim_id, action=action, fixmedins_code=v.fixmedins_code, fixmedins_type=v.fixmedins_type,
            hosp_lv=v.hosp_lv, mdtrt_id=v.mdtrt_id, psn_no=v.psn_no, insutype=v.insutype, med_type=v.med_type,
            insuplc_admdvs=v.insuplc_admdvs, mdtrtarea_admvs=v.mdtrtarea_admvs, begntime=v.begntime,
            endtime=v.endtime, dise_codg=v.dise_codg, opsp_dise_code=v.opsp_dise_code,
            bilg_dr_codg=v.bilg_dr_codg, acct_used_flag=v.acct_used_flag,
            fee_details=[FeeLine(feedetl_sn=ln.feedetl_sn, init_feedetl_sn=ln.init_feedetl_sn,
                                 med_list_codg=ln.med_list_codg, cnt=ln.cnt, pric=ln.pric,
                                 det_item_fee_sumamt=ln.fen, drug_trac_codg=ln.drug_trac_codg)
                         for ln in lines],
        )
    except ValidationError as exc:  # a rule above should have caught it; say which field anyway
        raise InvalidClaim(claim_id, [Problem(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None


def cancel_request(claim: ClaimSubmitted, cancel_id: str, reason: str = "") -> ClaimCancelRequested:
    """The cancel (2208 / 2305) of a settled claim, keyed like the claim so it follows it in order."""
    problems = [] if 0 < len(cancel_id) <= 64 else [Problem("cancel_id", "the cancel id must have 1 to 64 characters")]
    if len(reason) > 200:
        problems.append(Problem("reason", "the reason may have at most 200 characters"))
    if problems:
        raise InvalidClaim(claim.claim_id, problems)
    return ClaimCancelRequested(claim_id=claim.claim_id, cancel_id=cancel_id, fixmedins_code=claim.fixmedins_code,
                                psn_no=claim.psn_no, reason=reason)


def _visit_from(data: Mapping[str, Any]) -> Visit:
    known = {k: data[k] for k in Visit.__dataclass_fields__ if k in data}
    missing = [k for k in ("fixmedins_code", "hosp_lv", "mdtrt_id", "psn_no", "insutype", "med_type",
                           "insuplc_admdvs", "mdtrtarea_admvs", "begntime") if not known.get(k)]
    if missing:
        raise InvalidClaim(str(data.get("claim_id", "")), [Problem(k, f"{rules.label(k)} is missing") for k in missing])
    for name in ("begntime", "endtime"):
        if isinstance(known.get(name), str):
            try:
                known[name] = datetime.fromisoformat(known[name])
            except ValueError:
                raise InvalidClaim(str(data.get("claim_id", "")), [Problem(
                    name, f"{rules.label(name)} {known[name]!r} is not a date and time such as 2026-06-01T09:30:00")]) from None
    return Visit(**known)


def _read_line(n: int, raw: Mapping[str, Any], problems: list[Problem]) -> _Line:
    sn = str(raw.get("feedetl_sn") or "")
    where = f"fee line {n}" + (f" (feedetl_sn {sn})" if sn else "")
    cnt = _decimal(raw.get("cnt"), "cnt", where, problems)
    pric = _decimal(raw.get("pric"), "pric", where, problems)
    fen = None
    given = raw.get("det_item_fee_sumamt")
    if cnt is not None and pric is not None:
        fen = line_amount(cnt, pric)
        if given is not None:
            fen = _check_amount(given, cnt, pric, fen, where, problems)
    codes = raw.get("drug_trac_codg") or []
    return _Line(where, sn, raw.get("init_feedetl_sn") or None, str(raw.get("med_list_codg") or ""),
                 cnt, pric, fen, [str(c) for c in codes])


def _decimal(value: Any, name: str, where: str, problems: list[Problem]) -> Decimal | None:
    if value is None or value == "":
        problems.append(Problem(where, f"{rules.label(name)} is missing"))
        return None
    if isinstance(value, float):
        problems.append(Problem(where, f"{rules.label(name)} was given as a binary float ({value!r}); "
                                       "pass it as text or Decimal, e.g. '35.50', so no fen is lost"))
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        problems.append(Problem(where, f"{rules.label(name)} {value!r} is not a number"))
        return None


def _check_amount(given: Any, cnt: Decimal, pric: Decimal, expected: int, where: str, problems: list[Problem]) -> int | None:
    if isinstance(given, float):
        problems.append(Problem(where, f"{rules.label('det_item_fee_sumamt')} was given as a binary float "
                                       f"({given!r}); pass it as text or Decimal in yuan, e.g. '71.00'"))
        return None
    try:
        fen = yuan_to_fen(given)
    except MoneyError:
        problems.append(Problem(where, f"{rules.label('det_item_fee_sumamt')} {given!r} is not an amount in yuan "
                                       "with at most two decimals"))
        return None
    if fen != expected:
        hint = " (was it given in fen? amounts here are yuan)" if fen == expected * 100 else ""
        problems.append(Problem(where, f"{rules.label('det_item_fee_sumamt')} is {format_yuan(fen)} yuan but "
                                       f"cnt {cnt} × pric {pric} = {format_yuan(expected)} yuan{hint}; "
                                       "correct the amount, the count or the unit price"))
    return fen
