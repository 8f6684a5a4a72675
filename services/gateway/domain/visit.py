"""A visit as the national interface keeps it between registration and settlement (a session).

Registration (2201) or admission (2401) opens it and the platform issues its `mdtrt_id`; 2203/2401
add the diagnoses; 2204/2301 upload fee lines in charge batches (`chrg_bchno`), 2205/2302 delete them
while unsettled; 2206/2207 (2303/2304) name the visit and batch, and the claim is built from what
is kept here. The rules below read like the interface's own refusals.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from libs.money import Fen, line_amount
from services.gateway.domain.errors import InvalidInput, UnknownVisit, VisitStateConflict
from services.gateway.domain.line_split import LineSplit

OUTPATIENT, INPATIENT = "outpatient", "inpatient"
OPEN, CANCELLED = "open", "cancelled"


@dataclass(frozen=True)
class FeeLine:
    feedetl_sn: str
    chrg_bchno: str
    med_list_codg: str
    medins_list_codg: str
    cnt: Decimal
    pric: Decimal
    amount: Fen  # det_item_fee_sumamt in fen
    fee_ocur_time: datetime | None
    init_feedetl_sn: str | None = None
    bilg_dr_codg: str | None = None
    med_chrgitm_type: str | None = None
    split: LineSplit | None = None
    claim_id: str | None = None  # the settled claim the line went into

    def same_upload(self, other: FeeLine) -> bool:
        return (self.chrg_bchno, self.med_list_codg, self.cnt, self.pric, self.amount, self.init_feedetl_sn) == (
            other.chrg_bchno, other.med_list_codg, other.cnt, other.pric, other.amount, other.init_feedetl_sn)


@dataclass(frozen=True)
class Person:
    """What a settlement reply says of the patient: masked identity only (never the ID number in clear)."""

    psn_no: str
    certno_masked: str | None = None
    psn_name_masked: str | None = None
    gend: str | None = None
    age: int | None = None
    psn_type: str | None = None
    insuplc_admdvs: str | None = None


@dataclass
class Visit:
    fixmedins_code: str
    mdtrt_id: str
    kind: str
    psn_no: str
    insutype: str
    med_type: str | None
    begntime: datetime
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    mdtrt_cert_type: str
    ipt_otp_no: str
    person: Person
    status: str = OPEN
    endtime: datetime | None = None
    dise_codg: str | None = None
    diagnoses: list[dict[str, Any]] = field(default_factory=list)
    lines: dict[str, FeeLine] = field(default_factory=dict)
    generation: int = 0  # raised by each cancelled settlement, so the batch can be settled again
    national_med_type: str | None = None  # med_type as the HIS sent it (2101, 12 ...), echoed in replies

    def check_open(self) -> None:
        if self.status != OPEN:
            raise VisitStateConflict(f"就诊 mdtrt_id {self.mdtrt_id} 已撤销 (was cancelled); register a new visit")

    def check_person(self, psn_no: str | None) -> None:
        if psn_no and psn_no != self.psn_no:
            raise InvalidInput(f"psn_no {psn_no} is not the person of visit {self.mdtrt_id}")

    def upload(self, lines: list[FeeLine]) -> list[FeeLine]:
        """Keep a batch of lines; a line already uploaded identically is accepted again (a retry)."""
        self.check_open()
        for line in lines:
            check_line_amount(line)
            known = self.lines.get(line.feedetl_sn)
            if known is not None and not known.same_upload(line):
                raise InvalidInput(f"费用明细流水号 feedetl_sn {line.feedetl_sn} 已上传 (already uploaded with other "
                                   f"values); delete it (2205/2302) or use a new serial")
            if known is not None and known.claim_id:
                raise VisitStateConflict(f"feedetl_sn {line.feedetl_sn} is already settled")
            if line.init_feedetl_sn:
                original = self.lines.get(line.init_feedetl_sn)
                if original is None or original.cnt < 0:
                    raise InvalidInput(f"init_feedetl_sn {line.init_feedetl_sn} of refund line {line.feedetl_sn} "
                                       "is not an uploaded charge line of this visit")
            elif line.cnt < 0:
                raise InvalidInput(f"refund line {line.feedetl_sn} (negative cnt) needs init_feedetl_sn")
        for line in lines:
            self.lines[line.feedetl_sn] = line
        return lines

    def delete(self, chrg_bchno: str | None = None, feedetl_sns: list[str] | None = None) -> list[str]:
        """Delete the unsettled lines of a batch (2205), or the named lines, or every unsettled line (2302)."""
        self.check_open()
        doomed = [sn for sn, ln in self.lines.items()
                  if (chrg_bchno is None or ln.chrg_bchno == chrg_bchno) and (not feedetl_sns or sn in feedetl_sns)]
        settled = [sn for sn in doomed if self.lines[sn].claim_id]
        if settled:
            raise VisitStateConflict(f"fee lines {', '.join(settled[:5])} are settled; cancel the settlement first (2208/2305)")
        for sn in doomed:
            del self.lines[sn]
        return doomed

    def batch(self, chrg_bchno: str | None) -> list[FeeLine]:
        """The unsettled lines to settle: one batch (outpatient) or all of a stay (chrg_bchno None)."""
        lines = [ln for ln in self.lines.values()
                 if ln.claim_id is None and (chrg_bchno is None or ln.chrg_bchno == chrg_bchno)]
        if not lines:
            what = f"收费批次 chrg_bchno {chrg_bchno}" if chrg_bchno else "this stay"
            if any(chrg_bchno is None or ln.chrg_bchno == chrg_bchno for ln in self.lines.values()):
                raise VisitStateConflict(f"{what} of visit {self.mdtrt_id} 已结算 (is settled); cancel the settlement "
                                         "(2208/2305) to settle it again, or upload new lines")
            raise InvalidInput(f"{what} of visit {self.mdtrt_id} has no uploaded fee lines (upload them with 2204/2301)")
        return lines

    def claim_id(self, chrg_bchno: str | None) -> str:
        """The platform's claim id: derived from institution, visit, batch and settlement generation, so a
        retry (any msgid) settles the same claim, and a batch settled again after a cancellation is new."""
        parts = [self.fixmedins_code, self.mdtrt_id, chrg_bchno or "stay"]
        if self.generation:
            parts.append(f"g{self.generation}")
        readable = ":".join(parts)
        return readable if len(readable) <= 64 else "gw:" + hashlib.sha256(readable.encode()).hexdigest()[:48]

    def mark_settled(self, lines: list[FeeLine], claim_id: str) -> None:
        for ln in lines:
            self.lines[ln.feedetl_sn] = replace(ln, claim_id=claim_id)

    def release(self, claim_id: str) -> None:
        """A settlement was cancelled: its lines are unsettled again and the next claim id is new."""
        for sn, ln in list(self.lines.items()):
            if ln.claim_id == claim_id:
                self.lines[sn] = replace(ln, claim_id=None)
        self.generation += 1


def check_line_amount(line: FeeLine) -> None:
    """det_item_fee_sumamt = round(cnt × pric, 2) (R5)."""
    expected = line_amount(line.cnt, line.pric)
    if expected != line.amount:
        raise InvalidInput(f"feedetl_sn {line.feedetl_sn}: det_item_fee_sumamt {Decimal(line.amount) / 100} ≠ "
                           f"cnt {line.cnt} × pric {line.pric} = {Decimal(expected) / 100}")


def require(visit: Visit | None, mdtrt_id: str) -> Visit:
    if visit is None:
        raise UnknownVisit(f"就诊ID mdtrt_id {mdtrt_id!r} 不存在 (no such visit for this institution); register it first (2201/2401)")
    return visit
