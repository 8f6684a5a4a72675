"""ClaimSettled and ClaimCancelled become the facts clearing works on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from libs.contracts.claims import ClaimCancelled, ClaimSettled, FundDetail, SettlementAmounts
from services.clearing.domain import (
    FundDetailMismatch,
    InvalidFundAmount,
    claim_fact,
    fact_from_cancelled,
    fact_from_settled,
)
from services.clearing.tests.unit.builders import CHANGSHA, TAIYUAN, TAIYUAN_HOSPITAL, at

AMOUNTS = SettlementAmounts(
    medfee_sumamt=579_253, fulamt_ownpay_amt=29_620, overlmt_selfpay=0, preselfpay_amt=52_261,
    inscp_scp_amt=497_372, act_pay_dedc=80_000, hifp_pay=300_000, pool_prop_selfpay=Decimal("0.8"),
    hifmi_pay=10_654, fund_pay_sumamt=310_654, psn_part_amt=268_599,
)
FUND_ROWS = [FundDetail(fund_pay_type="hifp", fund_payamt=300_000), FundDetail(fund_pay_type="hifmi", fund_payamt=10_654)]


def settled_message(**changes) -> ClaimSettled:
    fields = dict(
        claim_id="C1", fixmedins_code=TAIYUAN_HOSPITAL, psn_no="P1", setl_id="S1", insutype="390", med_type="21",
        insuplc_admdvs=CHANGSHA, mdtrtarea_admvs=TAIYUAN, setl_time=at(1, 10), amounts=AMOUNTS, acct_pay=0,
        acct_mulaid_pay=0, psn_cash_pay=268_599, balc=0, setldetail=FUND_ROWS,
    )
    return ClaimSettled(**{**fields, **changes})


def test_a_claim_settled_message_becomes_a_fact_with_one_amount_per_fund() -> None:
    fact = fact_from_settled(settled_message())
    assert (fact.kind, fact.setl_id, fact.claim_id, fact.fixmedins_code) == ("settled", "S1", "C1", TAIYUAN_HOSPITAL)
    assert (fact.insuplc_admdvs, fact.mdtrtarea_admvs) == (CHANGSHA, TAIYUAN)
    assert fact.funds == (("hifmi", 10_654), ("hifp", 300_000))
    assert fact.key == ("S1", "settled")


def test_a_claim_cancelled_message_becomes_a_cancellation_fact() -> None:
    message = ClaimCancelled(
        claim_id="C1", fixmedins_code=TAIYUAN_HOSPITAL, psn_no="P1", cancel_id="X1", setl_id="S1",
        insuplc_admdvs=CHANGSHA, mdtrtarea_admvs=TAIYUAN, cancel_time=at(2, 3), amounts=AMOUNTS,
        setldetail=FUND_ROWS, acct_pay=0, acct_mulaid_pay=0, psn_cash_pay=268_599,
    )
    fact = fact_from_cancelled(message)
    assert fact.key == ("S1", "cancelled")
    assert fact.funds == (("hifmi", 10_654), ("hifp", 300_000)) and fact.occurred_at == at(2, 3)


def test_fund_rows_that_do_not_add_up_to_the_fund_total_are_refused() -> None:
    with pytest.raises(FundDetailMismatch):
        fact_from_settled(settled_message(setldetail=FUND_ROWS[:1]))


@pytest.mark.parametrize("amount", [-1, 10.5, Decimal("10")])
def test_a_negative_or_non_integer_fund_amount_is_refused(amount: object) -> None:
    with pytest.raises(InvalidFundAmount):
        claim_fact("settled", setl_id="S1", claim_id="C1", fixmedins_code="H", insuplc_admdvs=CHANGSHA,
                   mdtrtarea_admvs=TAIYUAN, occurred_at=at(1, 1), fund_rows=[("hifp", amount)])  # type: ignore[list-item]  # not whole fen, on purpose


def test_zero_fund_rows_are_left_out_and_a_fund_named_twice_is_summed() -> None:
    fact = claim_fact("settled", setl_id="S1", claim_id="C1", fixmedins_code="H", insuplc_admdvs=CHANGSHA,
                      mdtrtarea_admvs=TAIYUAN, occurred_at=at(1, 1),
                      fund_rows=[("hifp", 100), ("maf", 0), ("hifp", 50)])
    assert fact.funds == (("hifp", 150),)
