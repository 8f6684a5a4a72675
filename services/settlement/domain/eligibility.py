"""Guards that refuse a claim before any money is computed; each raises a named refusal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from services.settlement.domain.catalogue import Catalogue
from services.settlement.domain.claim import Claim
from services.settlement.domain.coverage import Coverage
from services.settlement.domain.errors import ClaimRefused, NoCatalogue, NoPolicyPack, ReasonCode
from services.settlement.domain.policy_pack import PolicyPack

# Inside a stay the hospital's own pharmacy dispenses; the dual-channel rules are for outpatients.
_STAY = ("inpatient", "delivery")


def check_pack_applies(pack: PolicyPack, claim: Claim) -> None:
    """The insured region's policy applies (就医地目录、参保地政策), for the claim's scheme."""
    if (pack.region, pack.insutype) != (claim.insuplc_admdvs, claim.insutype):
        raise NoPolicyPack(
            f"pack {pack.id} is for region {pack.region}, insutype {pack.insutype}; the claim is for "
            f"insured region {claim.insuplc_admdvs}, insutype {claim.insutype}"
        )


def check_catalogue_applies(catalogue: Catalogue, claim: Claim) -> None:
    if not catalogue.covers(claim.mdtrtarea_admvs):
        raise NoCatalogue(f"catalogue {catalogue.region} does not cover treatment region {claim.mdtrtarea_admvs}")


def check_insured(coverage: Coverage | None, claim: Claim) -> Coverage:
    def refuse(why: str) -> ClaimRefused:
        return ClaimRefused(ReasonCode.NOT_INSURED, f"person {claim.psn_no} {why}")

    if coverage is None or coverage.psn_no != claim.psn_no:
        raise refuse(f"has no insurance record for insutype {claim.insutype}")
    if coverage.insutype != claim.insutype:
        raise refuse(f"is insured under insutype {coverage.insutype}, not {claim.insutype}")
    if coverage.insured_region != claim.insuplc_admdvs:
        raise refuse(f"is insured in region {coverage.insured_region}, not {claim.insuplc_admdvs}")
    if not coverage.is_covered_on(claim.service_date):
        raise refuse(f"is not insured on {claim.service_date.isoformat()} (not enrolled, lapsed or premium unpaid)")
    return coverage


def check_waiting_period(coverage: Coverage, claim: Claim) -> None:
    if coverage.in_waiting_period_on(claim.service_date):
        raise ClaimRefused(
            ReasonCode.WAITING_PERIOD,
            f"person {claim.psn_no} is in the waiting period (待遇等待期) until {coverage.waiting_until}; "
            f"costs on {claim.service_date.isoformat()} are not reimbursed",
        )


def check_cross_region_filing(coverage: Coverage, claim: Claim, pack: PolicyPack) -> None:
    """Direct settlement elsewhere needs a filing; a manual reimbursement (the patient paid in full,
    typically an emergency elsewhere without one) is claimed at home and needs none."""
    if not claim.is_cross_region or claim.manual:
        return
    if claim.care == "emergency" and pack.emergency_without_filing:
        return
    if not coverage.has_filing_for(claim.mdtrtarea_admvs, claim.service_date):
        raise ClaimRefused(
            ReasonCode.CROSS_REGION_NOT_FILED,
            f"person {claim.psn_no} (insured in {claim.insuplc_admdvs}) has no cross-region filing (异地就医备案) "
            f"for {claim.mdtrtarea_admvs} valid on {claim.service_date.isoformat()}",
        )


def check_not_work_injury(claim: Claim, pack: PolicyPack) -> None:
    if claim.work_injury and pack.exclusions.work_injury:
        raise ClaimRefused(
            ReasonCode.EXCLUDED_SERVICE,
            "work-injury care is paid by work-injury insurance (工伤保险), not by medical insurance",
        )


def check_not_cosmetic_only(claim: Claim, catalogue: Catalogue, pack: PolicyPack) -> None:
    """A bill of cosmetic services only is refused; cosmetic lines in a wider bill are made 全自费."""
    items = [catalogue.get(line.med_list_codg) for line in claim.fee_details if not line.is_refund]
    if pack.exclusions.cosmetic and all(item is not None and item.cosmetic for item in items):
        raise ClaimRefused(ReasonCode.EXCLUDED_SERVICE, "cosmetic services are not reimbursable; the whole bill is cosmetic")


def check_chronic_approved(claim: Claim, coverage: Coverage, pack: PolicyPack) -> None:
    if claim.care != "chronic":
        return
    code = claim.opsp_dise_code or ""
    disease = pack.chronic.diseases.get(code)
    if disease is None:
        raise ClaimRefused(
            ReasonCode.CHRONIC_NOT_APPROVED,
            f"{code} is not a chronic or special outpatient disease (门诊慢特病) of pack {pack.id}",
        )
    if pack.chronic.approval_required and not coverage.has_chronic_approval(code, claim.service_date):
        raise ClaimRefused(
            ReasonCode.CHRONIC_NOT_APPROVED,
            f"person {claim.psn_no} has no approval (备案) for {disease.name} ({code}) valid on "
            f"{claim.service_date.isoformat()}; apply before claiming",
        )


def check_special_drug_channel(claim: Claim, coverage: Coverage, catalogue: Catalogue, pack: PolicyPack) -> None:
    """三定: a dual-channel drug outside a stay goes through its fixed hospital or pharmacy and doctor;
    a special-drug bill (med_type 15) must carry one, or it would be paid at the special-drug ratio
    around the outpatient caps and levels."""
    drugs = [item for line in claim.fee_details if not line.is_refund
             for item in (catalogue.get(line.med_list_codg),) if item is not None and item.special_drug]
    if claim.med_type == "15" and not drugs:
        raise ClaimRefused(ReasonCode.SPECIAL_DRUG_CHANNEL,
                           "a special-drug bill (med_type 15) must carry a dual-channel special drug; "
                           "settle other care under its own med_type (11 outpatient, 41 pharmacy)")
    if not pack.special_drugs.fixed_channel or claim.care in _STAY:
        return
    for item in drugs:
        why = _channel_fault(claim, coverage, item.med_list_codg)
        if why:
            raise ClaimRefused(ReasonCode.SPECIAL_DRUG_CHANNEL, f"{item.name} ({item.med_list_codg}) {why}")


def _channel_fault(claim: Claim, coverage: Coverage, med_list_codg: str) -> str | None:
    if claim.med_type != "15":
        return "is a dual-channel special drug; settle it as med_type 15 (特药)"
    day = claim.service_date.isoformat()
    designations = coverage.designations_for(med_list_codg, claim.service_date)
    if not designations:
        return f"has no designation (三定) for person {claim.psn_no} valid on {day}"
    here = [d for d in designations if claim.fixmedins_code in d.fixmedins_codes]
    if not here:
        places = ", ".join(sorted(set().union(*(d.fixmedins_codes for d in designations))))
        return f"must be dispensed by the designated hospital or pharmacy ({places}) on {day}, not {claim.fixmedins_code}"
    if not any(d.bilg_dr_codg is None or d.bilg_dr_codg == claim.bilg_dr_codg for d in here):
        doctors = ", ".join(sorted({d.bilg_dr_codg or "" for d in here}))
        return f"must be prescribed by the designated doctor {doctors}, not {claim.bilg_dr_codg}"
    return None


def check_traceability(claim: Claim, already_sold: Collection[str]) -> None:
    """A box's traceability code (追溯码) may be sold once; twice is a red flag, so refuse."""
    codes = Counter(code for line in claim.fee_details if not line.is_refund for code in line.drug_trac_codg)
    reused = sorted(code for code, n in codes.items() if n > 1 or code in already_sold)
    if reused:
        raise ClaimRefused(
            ReasonCode.TRACEABILITY_CODE_REUSED,
            f"traceability code {reused[0]} has already been sold; the box cannot be claimed again",
        )
