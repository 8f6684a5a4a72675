"""Adjudicate one claim: refuse it, or split it by scope and by payer, and say why.

The order of computation (docs/settlement.md):
  1. guards: well-formed claim, pack and catalogue apply, insured, waiting period, cross-region
     filing, exclusions, chronic approval, special-drug channel, traceability codes;
  2. every fee line split by scope (catalogue of the treatment region);
  3. basic layer on the in-scope total: deductible, the pooling fund's ratio, its annual caps;
  4. critical illness on the patient's remaining in-scope share, then medical assistance;
  5. the patient carries the rest.
Pre-settlement is the same call: it reads its inputs and never changes them.
"""

from __future__ import annotations

from collections.abc import Collection

from libs.money import Fen
from services.settlement.domain.accumulators import AccumulatorDelta, Accumulators
from services.settlement.domain.basic_benefit import basic_benefit
from services.settlement.domain.catalogue import Catalogue
from services.settlement.domain.claim import Claim
from services.settlement.domain.claim_checks import check_claim_is_well_formed
from services.settlement.domain.coverage import Coverage
from services.settlement.domain.eligibility import (
    check_catalogue_applies,
    check_chronic_approved,
    check_cross_region_filing,
    check_insured,
    check_not_cosmetic_only,
    check_not_work_injury,
    check_pack_applies,
    check_special_drug_channel,
    check_traceability,
    check_waiting_period,
)
from services.settlement.domain.errors import ClaimRefused
from services.settlement.domain.fee_split import exams_performed, split_fee_lines
from services.settlement.domain.policy_pack import PolicyPack
from services.settlement.domain.settlement import FUND_PAY_TYPES, Amounts, FundPayment, LineSplit, Rejection, Settlement
from services.settlement.domain.upper_layers import assistance, critical_illness
from services.settlement.domain.wording import yuan


def adjudicate(
    claim: Claim,
    *,
    coverage: Coverage | None,
    accumulators: Accumulators,
    pack: PolicyPack,
    catalogue: Catalogue,
    sold_traceability_codes: Collection[str] = frozenset(),
) -> Settlement | Rejection:
    """Settle `claim` under the insured region's `pack` and the treatment region's `catalogue`.

    `accumulators` are the person's year-to-date totals for the claim's settlement year;
    `sold_traceability_codes` are those of the claim's codes already recorded as sold.
    """
    if accumulators.year != claim.settlement_year:
        raise ValueError(f"accumulators of {accumulators.year} given for a claim of {claim.settlement_year}")
    try:
        check_claim_is_well_formed(claim)
        check_pack_applies(pack, claim)
        check_catalogue_applies(catalogue, claim)
        person = check_insured(coverage, claim)
        check_waiting_period(person, claim)
        check_cross_region_filing(person, claim, pack)
        check_not_work_injury(claim, pack)
        check_not_cosmetic_only(claim, catalogue, pack)
        check_chronic_approved(claim, person, pack)
        check_special_drug_channel(claim, person, catalogue, pack)
        check_traceability(claim, sold_traceability_codes)
        lines = split_fee_lines(claim, catalogue, pack, accumulators.large_exams)
    except ClaimRefused as refusal:
        return Rejection.of(refusal, claim_id=claim.claim_id, psn_no=claim.psn_no, fixmedins_code=claim.fixmedins_code)
    return _settle(claim, person, accumulators, pack, catalogue, lines)


def _settle(claim: Claim, person: Coverage, acc: Accumulators, pack: PolicyPack, catalogue: Catalogue,
            lines: tuple[LineSplit, ...]) -> Settlement:
    total, fulamt, overlmt, pre, inscp = (
        sum(getattr(line, name) for line in lines)
        for name in ("det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt")
    )
    basic = basic_benefit(claim, person, acc, pack, inscp)
    upper = critical_illness(claim, person, acc, pack, basic, inscp)
    aid = assistance(claim, person, acc, pack, inscp - basic.paid - upper.paid)
    payments = _fund_payments(claim, (basic.fund, basic.paid), ("critical_illness", upper.paid), ("assistance", aid.paid))
    funds = sum(p.fund_payamt for p in payments)
    employee_side = claim.insutype != "390"
    amounts = Amounts(
        medfee_sumamt=total, fulamt_ownpay_amt=fulamt, overlmt_selfpay=overlmt, preselfpay_amt=pre,
        inscp_scp_amt=inscp, act_pay_dedc=basic.deductible,
        hifp_pay=basic.paid if basic.fund == "pooling" else 0,
        pool_prop_selfpay=basic.ratio,
        hifmi_pay=0 if employee_side else upper.paid,
        hifob_pay=upper.paid if employee_side else 0,
        maf_pay=aid.paid,
        oth_pay=basic.paid if basic.fund == "maternity" else 0,
        fund_pay_sumamt=funds, psn_part_amt=total - funds,
    )
    counters = {**basic.delta, **upper.delta, **aid.delta}
    delta = AccumulatorDelta(
        year=acc.year, service_date=claim.service_date,
        large_exams_added=exams_performed(claim, catalogue, pack, acc.large_exams), large_exams_removed=(), **counters,
    )
    explanation = (
        f"pack {pack.id} ({pack.name}) for insured region {claim.insuplc_admdvs}; catalogue {catalogue.region} "
        f"for treatment region {claim.mdtrtarea_admvs}; service date {claim.service_date.isoformat()}",
        *(f"line {line.feedetl_sn} {line.med_list_codg} {line.name}: {line.note}" for line in lines if line.note),
        f"scope: 全自费 {yuan(fulamt)} + 超限价 {yuan(overlmt)} + 先行自付 {yuan(pre)} "
        f"+ 政策范围内 {yuan(inscp)} = {yuan(total)}",
        *basic.explanation, *upper.explanation, *aid.explanation,
        _summary(amounts, payments),
    )
    return Settlement(
        claim_id=claim.claim_id, psn_no=claim.psn_no, fixmedins_code=claim.fixmedins_code,
        insutype=claim.insutype, med_type=claim.med_type, insuplc_admdvs=claim.insuplc_admdvs,
        mdtrtarea_admvs=claim.mdtrtarea_admvs, service_date=claim.service_date, pack_id=pack.id,
        catalogue_region=catalogue.region, amounts=amounts, fund_payments=payments, lines=lines,
        delta=delta, traceability_codes=_codes_sold(claim), explanation=explanation, manual=claim.manual,
    )


def _fund_payments(claim: Claim, *paid: tuple[str, Fen]) -> tuple[FundPayment, ...]:
    scheme = "390" if claim.insutype == "390" else "310"
    return tuple(FundPayment(fund, FUND_PAY_TYPES[(fund, scheme)], amount) for fund, amount in paid if amount)


def _codes_sold(claim: Claim) -> tuple[str, ...]:
    sold = [code for line in claim.fee_details if not line.is_refund for code in line.drug_trac_codg]
    returned = {code for line in claim.fee_details if line.is_refund for code in line.drug_trac_codg}
    return tuple(code for code in sold if code not in returned)


def _summary(amounts: Amounts, payments: tuple[FundPayment, ...]) -> str:
    outside = amounts.fulamt_ownpay_amt + amounts.overlmt_selfpay + amounts.preselfpay_amt
    by_fund = ", ".join(f"{p.fund} {yuan(p.fund_payamt)}" for p in payments) or "none"
    return (
        f"funds pay {yuan(amounts.fund_pay_sumamt)} ({by_fund}); the patient pays {yuan(amounts.psn_part_amt)} = "
        f"{yuan(outside)} outside the policy scope + {yuan(amounts.inscp_scp_amt - amounts.fund_pay_sumamt)} in scope"
    )
