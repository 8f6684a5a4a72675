"""Properties that hold for every claim: the identities, monotonicity, caps, and exact cancellation."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from services.settlement.domain import (
    Accumulators,
    CrossRegionFiling,
    LargeExam,
    PolicyPack,
    Settlement,
    SpecialDrugDesignation,
    adjudicate,
    balances,
    fund_postings,
    reverse,
)
from services.settlement.domain.claim import HOSPITAL_LEVELS

from .builders import approved, catalogue_for, claim, coverage_of, line, pack, refund

PACK_IDS = ("430100-390-2026", "371300-390-2026", "371300-310-2026", "140100-390-2026")
MED_TYPES = ("11", "13", "14", "15", "21", "41", "51", "52")
SERVICE_DAY = date(2026, 3, 2)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@st.composite
def fee_lines(draw, p: PolicyPack, first: int = 1, max_lines: int = 6):
    codes = [*sorted(catalogue_for(p.region).items), "NOT-IN-CATALOGUE"]
    n = draw(st.integers(1, max_lines))
    return [
        line(str(first + i), draw(st.sampled_from(codes)), draw(st.integers(1, 30)),
             Decimal(draw(st.integers(1, 500000))) / 100)
        for i in range(n)
    ]


@st.composite
def accumulators_for(draw, p: PolicyPack):
    up_to = lambda top: st.integers(0, max(0, top))  # noqa: E731
    large = [c for c, item in catalogue_for(p.region).items.items() if item.large_equipment]
    exams = draw(st.lists(st.tuples(st.sampled_from(large), st.integers(0, 60)), max_size=3))
    return Accumulators(
        2026,
        deductible_paid=draw(up_to(p.inpatient.yearly_cap)),
        admissions=draw(st.integers(0, 5)),
        pooling_paid=draw(up_to(p.pooling_annual_cap)),
        outpatient_deductible_paid=draw(up_to(p.outpatient_pooling.deductible)),
        outpatient_pooling_paid=draw(up_to(p.outpatient_pooling.annual_cap)),
        outpatient_pooling_paid_on_day=draw(up_to(p.outpatient_pooling.per_day_cap or 0)),
        chronic_deductible_paid=draw(up_to(5000)),
        prenatal_paid=draw(up_to(p.maternity.prenatal_annual_cap)),
        critical_illness_base=draw(up_to(30000000)),
        critical_illness_paid=draw(up_to(p.critical_illness.annual_cap)),
        assistance_paid=draw(up_to(20000)),
        large_exams=tuple(LargeExam(code, SERVICE_DAY - timedelta(days=days)) for code, days in exams),
    )


@st.composite
def scenarios(draw, with_refund: bool = True, pack_id: str | None = None):
    p = pack(pack_id or draw(st.sampled_from(PACK_IDS)))
    lines = draw(fee_lines(p))
    if with_refund and draw(st.booleans()):
        target = draw(st.sampled_from(lines))
        lines.append(refund("R1", target, draw(st.integers(1, int(target.cnt)))))
    med_type = draw(st.sampled_from(MED_TYPES))
    treatment = draw(st.sampled_from((p.region, p.region, "430100", "371300", "140100")))
    c = claim(
        *lines, med_type=med_type, hosp_lv=draw(st.sampled_from(HOSPITAL_LEVELS)), insutype=p.insutype,
        insuplc_admdvs=p.region, mdtrtarea_admvs=treatment, fixmedins_code="H1", bilg_dr_codg="D1",
        opsp_dise_code=draw(st.sampled_from(sorted(p.chronic.diseases))) if med_type == "14" else None,
    )
    specials = [code for code, item in catalogue_for(p.region).items.items() if item.special_drug]
    cov = coverage_of(
        c, retired=draw(st.booleans()), hardship_group=draw(st.sampled_from([None, *sorted(p.assistance.groups)])),
        continuous_years=draw(st.integers(0, 25)), no_claim_years=draw(st.integers(0, 4)),
        chronic_approvals=approved(*p.chronic.diseases),
        special_drugs=tuple(SpecialDrugDesignation(code, frozenset({"H1"}), "D1") for code in specials),
        filings=(CrossRegionFiling(treatment, date(2026, 1, 1)),),
    )
    return p, c, cov, draw(accumulators_for(p))


def outcome(p, c, cov, acc):
    return adjudicate(c, coverage=cov, accumulators=acc, pack=p, catalogue=catalogue_for(c.mdtrtarea_admvs))


@FAST
@given(scenarios())
def test_both_identities_hold_to_the_fen_for_every_settlement(scenario):
    s = outcome(*scenario)
    assume(isinstance(s, Settlement))
    a = s.amounts
    assert a.medfee_sumamt == a.fulamt_ownpay_amt + a.overlmt_selfpay + a.preselfpay_amt + a.inscp_scp_amt
    assert a.medfee_sumamt == a.fund_pay_sumamt + a.psn_part_amt
    assert a.fund_pay_sumamt == sum(p.fund_payamt for p in s.fund_payments)
    assert a.fund_pay_sumamt == a.hifp_pay + a.hifmi_pay + a.hifob_pay + a.maf_pay + a.oth_pay
    assert all(line.fulamt_ownpay_amt + line.overlmt_amt + line.preselfpay_amt + line.inscp_scp_amt
               == line.det_item_fee_sumamt for line in s.lines)
    assert 0 <= a.fund_pay_sumamt <= a.inscp_scp_amt and a.psn_part_amt >= 0
    assert min(a.fulamt_ownpay_amt, a.overlmt_selfpay, a.preselfpay_amt, a.act_pay_dedc) >= 0


@FAST
@given(scenarios(with_refund=False), st.data())
def test_the_patients_share_never_falls_when_a_cost_rises(scenario, data):
    p, c, cov, acc = scenario
    if data.draw(st.booleans()):
        extra = data.draw(fee_lines(p, first=len(c.fee_details) + 1, max_lines=2))
        bigger = claim(*c.fee_details, *extra, **_header(c))
    else:
        i = data.draw(st.integers(0, len(c.fee_details) - 1))
        old = c.fee_details[i]
        grown = line(old.feedetl_sn, old.med_list_codg, int(old.cnt) + data.draw(st.integers(1, 20)), old.pric)
        bigger = claim(*c.fee_details[:i], grown, *c.fee_details[i + 1:], **_header(c))
    before, after = outcome(p, c, cov, acc), outcome(p, bigger, cov, acc)
    assume(isinstance(before, Settlement) and isinstance(after, Settlement))
    assert after.amounts.psn_part_amt >= before.amounts.psn_part_amt


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PACK_IDS), st.data())
def test_no_cap_is_ever_exceeded_over_a_year_of_claims(pack_id, data):
    p = pack(pack_id)
    acc = Accumulators.empty(2026)
    cov = None
    for _ in range(data.draw(st.integers(1, 8))):
        _, c, cov_n, _ = data.draw(scenarios(with_refund=False, pack_id=pack_id))
        cov = cov or cov_n  # one person: the first claim's coverage throughout
        s = outcome(p, c, cov, acc)
        if isinstance(s, Settlement):
            acc = acc.apply(s.delta)
    if cov is None:
        return
    ci = p.critical_illness
    assert acc.deductible_paid <= p.inpatient.yearly_cap
    assert acc.pooling_paid <= p.pooling_annual_cap
    assert acc.outpatient_pooling_paid <= p.outpatient_pooling.annual_cap
    assert p.outpatient_pooling.per_day_cap is None or acc.outpatient_pooling_paid_on_day <= p.outpatient_pooling.per_day_cap
    assert acc.critical_illness_paid <= ci.annual_cap + ci.increment(cov.continuous_years, cov.no_claim_years)
    assert acc.prenatal_paid <= p.maternity.prenatal_annual_cap
    group = p.assistance.groups.get(cov.hardship_group or "")
    assert acc.assistance_paid <= (group.annual_cap if group else 0)


@FAST
@given(scenarios())
def test_settle_then_cancel_restores_every_accumulator_and_fund_balance(scenario):
    p, c, cov, acc = scenario
    s = outcome(p, c, cov, acc)
    assume(isinstance(s, Settlement))
    undo = reverse(s)
    assert acc.apply(s.delta).apply(undo.delta) == acc
    postings = fund_postings(s)
    pairs = 2 if s.is_cross_region else 1  # a cross-region payment is booked in both regions
    assert sum(x.debit for x in postings) == sum(x.credit for x in postings) == s.amounts.fund_pay_sumamt * pairs
    assert balances(postings + undo.postings) == {}


@settings(max_examples=50, deadline=None)
@given(scenarios())
def test_adjudication_never_changes_its_inputs_so_pre_settlement_is_safe(scenario):
    p, c, cov, acc = scenario
    snapshot = copy.deepcopy((p, c, cov, acc))
    first, second = outcome(p, c, cov, acc), outcome(p, c, cov, acc)
    assert (p, c, cov, acc) == snapshot
    assert first == second


def _header(c):
    return {k: getattr(c, k) for k in ("med_type", "hosp_lv", "insutype", "insuplc_admdvs", "mdtrtarea_admvs",
                                       "fixmedins_code", "bilg_dr_codg", "opsp_dise_code")}
