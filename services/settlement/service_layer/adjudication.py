"""The port between the handlers and the rules: policy packs and catalogues loaded once at start.

It turns the wire contract and the stored projection into the domain's inputs and the domain's
answer back into contract amounts; a claim for which no pack or catalogue exists is a rejection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libs.contracts import claims as c
from libs.contracts.enrollment import CoverageChanged
from services.settlement.domain import (
    Accumulators,
    CatalogueRegistry,
    Claim,
    ClaimRefused,
    PackRegistry,
    PolicyPack,
    Rejection,
    Settlement,
    adjudicate,
    claim_from_message,
    load_catalogues,
    load_packs,
)
from services.settlement.domain.coverage import coverage_from_message

REFERENCE_DATA = Path(__file__).resolve().parents[1]
Guard = Callable[[Claim, PolicyPack], None]


@dataclass(frozen=True)
class PolicyEngine:
    packs: PackRegistry
    catalogues: CatalogueRegistry

    @classmethod
    def load(cls, packs_dir: Path | None = None, catalogues_dir: Path | None = None) -> PolicyEngine:
        """Load and validate every pack and catalogue; an invalid file stops the service at start."""
        return cls(load_packs(packs_dir or REFERENCE_DATA / "policy_packs"),
                   load_catalogues(catalogues_dir or REFERENCE_DATA / "catalogue"))

    def adjudicate(self, message: c.ClaimSubmitted, coverage: dict[str, Any] | None,
                   accumulators: Accumulators, sold_codes: frozenset[str], *, manual: bool = False,
                   guard: Guard | None = None) -> Settlement | Rejection:
        """`manual`: a manual reimbursement; `guard` refuses, under the claim's pack, what adjudication
        itself does not know about (the reimbursement's time limit, receipts, a direct settlement)."""
        claim = claim_from_message(message, work_injury=message.work_injury, manual=manual)
        person = coverage_from_message(CoverageChanged.model_validate(coverage)) if coverage else None
        try:
            pack = self.packs.pack_for(claim.insuplc_admdvs, claim.insutype, claim.service_date)
            catalogue = self.catalogues.catalogue_for(claim.mdtrtarea_admvs)
            if guard is not None:
                guard(claim, pack)
        except ClaimRefused as refusal:
            return Rejection.of(refusal, claim_id=claim.claim_id, psn_no=claim.psn_no,
                                fixmedins_code=claim.fixmedins_code)
        return adjudicate(claim, coverage=person, accumulators=accumulators, pack=pack,
                          catalogue=catalogue, sold_traceability_codes=sold_codes)


def contract_amounts(settlement: Settlement) -> c.SettlementAmounts:
    return c.SettlementAmounts(**settlement.amounts.as_dict())


def contract_setldetail(settlement: Settlement) -> list[c.FundDetail]:
    return [c.FundDetail(**d) for d in settlement.setldetail()]
