"""Auditor CLI: adjudicate one claim, or replay claims under two policy packs (no Kafka, no DB).

    python -m services.settlement.entrypoints.cli adjudicate --claim claim.json --pack 430100-390-2026
    python -m services.settlement.entrypoints.cli whatif --claims claims.jsonl --pack A --against B

Input formats are documented in docs/settlement.md; examples live in policy_packs/examples/.
Exit status: 0 settled, 1 rejected, 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from libs.console_scripts import command_name
from libs.contracts.claims import ClaimSubmitted
from libs.money import format_yuan
from services.settlement.domain import (
    COUNTERS,
    Accumulators,
    CatalogueRegistry,
    ChronicApproval,
    Claim,
    Coverage,
    CrossRegionFiling,
    LargeExam,
    NoCatalogue,
    PolicyPack,
    ReferenceDataError,
    Rejection,
    Settlement,
    SpecialDrugDesignation,
    adjudicate,
    claim_from_message,
    load_catalogues,
    load_pack_file,
    load_packs,
)
from services.settlement.domain.policy_pack import FUNDS

SETTLEMENT_DIR = Path(__file__).resolve().parents[1]


class InputError(Exception):
    """An input file the CLI cannot use; the message names the file and the fault."""


# ---- reading inputs -------------------------------------------------------------------------

def claim_from_json(data: dict[str, Any], source: str) -> Claim:
    """A claim in the `ClaimSubmitted` shape; `action` and `mdtrt_id` may be left out, and
    `work_injury` (not in the contract yet) may be added."""
    data = dict(data)
    work_injury = bool(data.pop("work_injury", False))
    data.setdefault("action", "presettle")
    data.setdefault("mdtrt_id", data.get("claim_id", "-"))
    try:
        message = ClaimSubmitted.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: not a valid claim:\n{exc}") from None
    return claim_from_message(message, work_injury=work_injury)


def coverage_from_json(data: dict[str, Any] | None, claim: Claim) -> Coverage:
    """The person's coverage; absent, an active insured of the claim's region and scheme."""
    data = data or {}
    return Coverage(
        psn_no=data.get("psn_no", claim.psn_no),
        insutype=data.get("insutype", claim.insutype),
        insured_region=data.get("insured_region", claim.insuplc_admdvs),
        active=data.get("active", True),
        covered_from=_day(data.get("covered_from")),
        covered_to=_day(data.get("covered_to")),
        waiting_until=_day(data.get("waiting_until")),
        retired=data.get("retired", False),
        hardship_group=data.get("hardship_group"),
        continuous_years=data.get("continuous_years", 0),
        no_claim_years=data.get("no_claim_years", 0),
        chronic_approvals=tuple(
            ChronicApproval(a["opsp_dise_code"], date.fromisoformat(a["valid_from"]), _day(a.get("valid_to")))
            for a in data.get("chronic_approvals", ())
        ),
        special_drugs=tuple(
            SpecialDrugDesignation(d["med_list_codg"], frozenset(d["fixmedins_codes"]), d.get("bilg_dr_codg"),
                                   _day(d.get("valid_from")), _day(d.get("valid_to")))
            for d in data.get("special_drugs", ())
        ),
        filings=tuple(
            CrossRegionFiling(f["treatment_region"], date.fromisoformat(f["valid_from"]), _day(f.get("valid_to")))
            for f in data.get("filings", ())
        ),
    )


def accumulators_from_json(data: dict[str, Any] | None, claim: Claim) -> Accumulators:
    """Year-to-date counters in fen; absent, a fresh year."""
    data = dict(data or {})
    exams = tuple(LargeExam(e["med_list_codg"], date.fromisoformat(e["exam_date"]))
                  for e in data.pop("large_exams", ()))
    unknown = set(data) - {"year", *COUNTERS}
    if unknown:
        raise InputError(f"unknown accumulator field {sorted(unknown)[0]!r}; fields are year, {', '.join(COUNTERS)}, large_exams")
    return Accumulators(year=data.pop("year", claim.settlement_year), large_exams=exams, **data)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _read_json(path: str) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: {exc}") from None


def _pack(value: str, packs_dir: Path) -> PolicyPack:
    """A pack by file path, or by id among the packs in `packs_dir` (and its examples/)."""
    if Path(value).is_file():
        return load_pack_file(value)
    for candidate in (packs_dir / f"{value}.yaml", packs_dir / "examples" / f"{value}.yaml"):
        if candidate.is_file():
            return load_pack_file(candidate)
    known = ", ".join(p.id for p in load_packs(packs_dir))
    raise InputError(f"no pack {value!r}: give a file path or one of {known}")


def _run(claim: Claim, coverage: Coverage, acc: Accumulators, pack: PolicyPack,
         catalogues: CatalogueRegistry) -> Settlement | Rejection:
    try:
        catalogue = catalogues.catalogue_for(claim.mdtrtarea_admvs)
    except NoCatalogue as refusal:
        return Rejection.of(refusal, claim_id=claim.claim_id, psn_no=claim.psn_no, fixmedins_code=claim.fixmedins_code)
    return adjudicate(claim, coverage=coverage, accumulators=acc, pack=pack, catalogue=catalogue)


# ---- printing -------------------------------------------------------------------------------

_LINE_FIELDS = ("feedetl_sn", "med_list_codg", "chrgitm_lv", "det_item_fee_sumamt", "fulamt_ownpay_amt",
                "overlmt_amt", "preselfpay_amt", "inscp_scp_amt")

def settlement_json(outcome: Settlement | Rejection) -> dict[str, Any]:
    if isinstance(outcome, Rejection):
        return {"claim_id": outcome.claim_id, "rejected": True, "reason_code": str(outcome.reason_code), "reason": outcome.reason}
    amounts = {k: (str(v) if k == "pool_prop_selfpay" else v) for k, v in outcome.amounts.as_dict().items()}
    delta: dict[str, Any] = {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in outcome.delta.counters().items()}
    delta["large_exams_added"] = [[e.med_list_codg, e.exam_date.isoformat()] for e in outcome.delta.large_exams_added]
    return {
        "claim_id": outcome.claim_id, "rejected": False, "pack_id": outcome.pack_id,
        "catalogue_region": outcome.catalogue_region, "amounts": amounts, "setldetail": outcome.setldetail(),
        "lines": [
            {name: getattr(line, name) for name in _LINE_FIELDS} for line in outcome.lines
        ],
        "accumulator_delta": delta, "traceability_codes": list(outcome.traceability_codes),
        "explanation": list(outcome.explanation),
    }


def print_settlement(outcome: Settlement | Rejection) -> None:
    if isinstance(outcome, Rejection):
        print(f"Claim {outcome.claim_id} REJECTED: {outcome.reason_code}\n  {outcome.reason}")
        return
    print(f"Claim {outcome.claim_id}: pack {outcome.pack_id}, catalogue {outcome.catalogue_region}\n")
    widths = (5, 24, 20, 11, 10, 10, 10, 11)
    header = ("line", "code", "name", "amount", "全自费", "超限价", "先行自付", "in scope")
    print("  " + "".join(_pad(text, w, right=i >= 3) for i, (text, w) in enumerate(zip(header, widths, strict=True))))
    for line in outcome.lines:
        cells = (line.feedetl_sn, line.med_list_codg[:23], line.name[:9],
                 *(format_yuan(getattr(line, name)) for name in _LINE_FIELDS[3:]))
        print("  " + "".join(_pad(text, w, right=i >= 3) for i, (text, w) in enumerate(zip(cells, widths, strict=True))))
    print()
    for name, value in outcome.amounts.as_dict().items():
        shown = f"{value * 100:.0f}%" if isinstance(value, Decimal) else format_yuan(value)  # the one ratio
        print(f"  {name:<20}{shown:>14}")
    rows = [f"{p.fund_pay_type} {p.fund} {format_yuan(p.fund_payamt)}" for p in outcome.fund_payments]
    print("\n  setldetail: " + (", ".join(rows) or "none"))
    changed = {k: v for k, v in outcome.delta.counters().items() if k in COUNTERS and isinstance(v, int) and v}
    changes = [f"{k} {v:+d}" if k == "admissions" else f"{k} +{format_yuan(v)}" for k, v in changed.items()]
    exams = [f"large exam {e.med_list_codg} on {e.exam_date}" for e in outcome.delta.large_exams_added]
    print("  accumulator delta: " + (", ".join(changes + exams) or "none"))
    print("\nExplanation")
    for step in outcome.explanation:
        print(f"  - {step}")


# ---- commands -------------------------------------------------------------------------------

def cmd_adjudicate(args: argparse.Namespace) -> int:
    claim = claim_from_json(_read_json(args.claim), args.claim)
    coverage = coverage_from_json(_read_json(args.coverage) if args.coverage else None, claim)
    acc = accumulators_from_json(_read_json(args.accumulators) if args.accumulators else None, claim)
    pack = _pack(args.pack, Path(args.packs_dir))
    outcome = _run(claim, coverage, acc, pack, load_catalogues(args.catalogues_dir))
    if args.json:
        print(json.dumps(settlement_json(outcome), ensure_ascii=False, indent=2))
    else:
        print_settlement(outcome)
    return 1 if isinstance(outcome, Rejection) else 0


def cmd_whatif(args: argparse.Namespace) -> int:
    packs = (_pack(args.pack, Path(args.packs_dir)), _pack(args.against, Path(args.packs_dir)))
    catalogues = load_catalogues(args.catalogues_dir)
    totals = [dict.fromkeys((*FUNDS, "total", "patients"), 0) for _ in packs]
    changes, rejections = [], []
    for n, text in enumerate(Path(args.claims).read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{args.claims} line {n}: {exc}") from None
        claim = claim_from_json(record["claim"], f"{args.claims} line {n}")
        coverage = coverage_from_json(record.get("coverage"), claim)
        acc = accumulators_from_json(record.get("accumulators"), claim)
        outcomes = [_run(claim, coverage, acc, pack, catalogues) for pack in packs]
        for outcome, total in zip(outcomes, totals, strict=True):
            if isinstance(outcome, Settlement):
                for payment in outcome.fund_payments:
                    total[payment.fund] += payment.fund_payamt
                total["total"] += outcome.amounts.fund_pay_sumamt
                total["patients"] += outcome.amounts.psn_part_amt
        funds = [o.amounts.fund_pay_sumamt if isinstance(o, Settlement) else None for o in outcomes]
        if funds[0] != funds[1]:
            changes.append({"claim_id": claim.claim_id, "funds_a": funds[0], "funds_b": funds[1],
                            "patient_a": _patient(outcomes[0]), "patient_b": _patient(outcomes[1])})
        rejections += [{"claim_id": claim.claim_id, "pack": p.id, "reason_code": str(o.reason_code), "reason": o.reason}
                       for p, o in zip(packs, outcomes, strict=True) if isinstance(o, Rejection)]
    report = {"pack": packs[0].id, "against": packs[1].id, "totals": {"a": totals[0], "b": totals[1]},
              "changes": changes, "rejections": rejections}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_whatif(report)
    return 0


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """Pad to a display width, counting CJK characters as two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(1, width - shown)
    return fill + text if right else text + fill


def _patient(outcome: Settlement | Rejection) -> int | None:
    return outcome.amounts.psn_part_amt if isinstance(outcome, Settlement) else None


def _print_whatif(report: dict[str, Any]) -> None:
    a, b = report["totals"]["a"], report["totals"]["b"]
    print(f"What if {report['against']} instead of {report['pack']}\n")
    print(f"  {'':<18}{report['pack']:>24}{report['against']:>28}{'change':>14}")
    for key in (*FUNDS, "total", "patients"):
        label = "funds total" if key == "total" else ("patients pay" if key == "patients" else key)
        print(f"  {label:<18}{format_yuan(a[key]):>24}{format_yuan(b[key]):>28}{format_yuan(b[key] - a[key]):>14}")
    print(f"\nClaims whose fund payment changes: {len(report['changes'])}")
    for c in report["changes"]:
        amounts = (c["funds_a"], c["funds_b"], c["patient_a"], c["patient_b"])
        shown = [format_yuan(v) if v is not None else "rejected" for v in amounts]
        print(f"  {c['claim_id']}: funds {shown[0]} -> {shown[1]}, patient {shown[2]} -> {shown[3]}")
    for r in report["rejections"]:
        print(f"  rejected under {r['pack']}: {r['claim_id']} {r['reason_code']}: {r['reason']}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=command_name("python -m services.settlement.entrypoints.cli"), description=__doc__.split("\n")[0])
    parser.add_argument("--packs-dir", default=str(SETTLEMENT_DIR / "policy_packs"))
    parser.add_argument("--catalogues-dir", default=str(SETTLEMENT_DIR / "catalogue"))
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("adjudicate", help="settle one claim and explain every amount")
    one.add_argument("--claim", required=True, help="claim JSON in the ClaimSubmitted shape")
    one.add_argument("--pack", required=True, help="pack id or path to a pack YAML")
    one.add_argument("--accumulators", help="year-to-date accumulators JSON (default: a fresh year)")
    one.add_argument("--coverage", help="coverage JSON (default: insured and active, no approvals)")
    one.add_argument("--json", action="store_true", help="print JSON instead of a table")
    one.set_defaults(run=cmd_adjudicate)
    many = commands.add_parser("whatif", help="replay claims under two packs and compare fund spending")
    many.add_argument("--claims", required=True, help="JSON lines: {claim, coverage?, accumulators?}")
    many.add_argument("--pack", required=True, help="the pack in force (id or path)")
    many.add_argument("--against", required=True, help="the pack to compare with (id or path)")
    many.add_argument("--json", action="store_true")
    many.set_defaults(run=cmd_whatif)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (InputError, ReferenceDataError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
