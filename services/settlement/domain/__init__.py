"""The settlement engine's rules: pure Python, no I/O except reading the shipped reference data.

    registry = load_packs("services/settlement/policy_packs")
    catalogues = load_catalogues("services/settlement/catalogue")
    pack = registry.pack_for(claim.insuplc_admdvs, claim.insutype, claim.service_date)  # NoPolicyPack
    catalogue = catalogues.catalogue_for(claim.mdtrtarea_admvs)                         # NoCatalogue
    outcome = adjudicate(claim, coverage=..., accumulators=..., pack=pack, catalogue=catalogue)
    # Settlement: outcome.amounts, outcome.setldetail(), outcome.delta, fund_postings(outcome)
    # Rejection:  outcome.reason_code, outcome.reason
    undo = reverse(settlement)  # undo.delta, undo.postings
"""

from services.settlement.domain.accumulators import (
    COUNTERS,
    LARGE_EXAM_LOOKBACK_DAYS,
    YEARLY,
    AccumulatorDelta,
    Accumulators,
    LargeExam,
    add_counters,
    exam_window,
    in_exam_window,
)
from services.settlement.domain.adjudication import adjudicate
from services.settlement.domain.catalogue import Catalogue, CatalogueItem, CatalogueRegistry, parse_catalogue
from services.settlement.domain.claim import Claim, FeeLine, claim_from_message
from services.settlement.domain.coverage import (
    ChronicApproval,
    Coverage,
    CrossRegionFiling,
    SpecialDrugDesignation,
    coverage_from_message,
)
from services.settlement.domain.errors import ClaimRefused, NoCatalogue, NoPolicyPack, ReasonCode, ReferenceDataError
from services.settlement.domain.ledger import Posting, balances, fund_postings
from services.settlement.domain.pack_reader import parse_pack
from services.settlement.domain.pack_registry import PackRegistry
from services.settlement.domain.policy_pack import PolicyPack
from services.settlement.domain.reference_files import load_catalogue_file, load_catalogues, load_pack_file, load_packs
from services.settlement.domain.reversal import Reversal, reverse
from services.settlement.domain.settlement import Amounts, FundPayment, LineSplit, Rejection, Settlement

__all__ = [
    "COUNTERS", "LARGE_EXAM_LOOKBACK_DAYS", "YEARLY",
    "AccumulatorDelta", "Accumulators", "Amounts", "Catalogue", "CatalogueItem", "CatalogueRegistry", "ChronicApproval",
    "Claim", "ClaimRefused", "Coverage", "CrossRegionFiling", "FeeLine", "FundPayment", "LargeExam", "LineSplit",
    "NoCatalogue", "NoPolicyPack", "PackRegistry", "PolicyPack", "Posting", "ReasonCode", "ReferenceDataError",
    "Rejection", "Reversal", "Settlement", "SpecialDrugDesignation",
    "add_counters", "adjudicate", "balances", "claim_from_message", "coverage_from_message", "exam_window",
    "fund_postings", "in_exam_window", "load_catalogue_file", "load_catalogues", "load_pack_file", "load_packs", "parse_catalogue",
    "parse_pack", "reverse",
]
