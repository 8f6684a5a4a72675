"""The quote a pre-settlement shows is the payment the settlement then makes, and it moves nothing."""

from __future__ import annotations

import pytest

from libs.contracts import claims as c
from libs.contracts import wallet as w
from services.wallet.service_layer import queries
from services.wallet.tests.unit.test_handlers import Service


@pytest.fixture
async def family() -> Service:
    """An employee holder H1 with 50 yuan who bound a resident parent R1 (no account) for medical costs,
    and an employee member E1 with 10 yuan of their own, bound to H1 too."""
    service = Service()
    await service.enroll("H1")
    await service.enroll("R1", insutype="390")
    await service.enroll("E1")
    await service.credit("H1", 50_00, "CR-H1")
    await service.credit("E1", 10_00, "CR-E1")
    for member, command_id in (("R1", "B1"), ("E1", "B2")):
        await service.handlers.bind_relative(service.tx, w.BindRelative(
            command_id=command_id, psn_no="H1", relative_psn_no=member, relation="parent", uses=["medical"]))
    return service


async def quote(service: Service, psn_no: str, amount: int, acct_used_flag: bool = True) -> w.PersonalPartQuote:
    return await queries.personal_part_quote(service.ledger, psn_no, amount, acct_used_flag, service.handlers.policy,
                                             service.handlers.clock())


async def pay(service: Service, psn_no: str, amount: int, setl_id: str) -> c.PersonalPartPaid:
    paid = await service.handlers.pay_personal_part(service.tx, c.ClaimAdjudicated(
        claim_id=f"C-{setl_id}", setl_id=setl_id, psn_no=psn_no, insutype="310", fixmedins_code="H9",
        psn_part_amt=amount, acct_used_flag=True))
    assert isinstance(paid, c.PersonalPartPaid)
    return paid


async def test_a_resident_member_is_quoted_family_money_first_then_cash_as_the_payment_then_pays(family) -> None:
    quoted = await quote(family, "R1", 80_00)
    assert (quoted.acct_pay, quoted.acct_mulaid_pay, quoted.psn_cash_pay, quoted.balc) == (0, 50_00, 30_00, 0)
    paid = await pay(family, "R1", 80_00, "S1")
    assert (paid.acct_pay, paid.acct_mulaid_pay, paid.psn_cash_pay, paid.balc) == (0, 50_00, 30_00, 0)


async def test_an_employee_member_is_quoted_their_own_balance_before_the_family_money(family) -> None:
    quoted = await quote(family, "E1", 25_00)
    assert (quoted.acct_pay, quoted.acct_mulaid_pay, quoted.psn_cash_pay) == (10_00, 15_00, 0)
    paid = await pay(family, "E1", 25_00, "S2")
    assert (paid.acct_pay, paid.acct_mulaid_pay, paid.psn_cash_pay) == (quoted.acct_pay, quoted.acct_mulaid_pay, 0)


async def test_a_quote_moves_no_money_and_records_nothing(family) -> None:
    before = (dict(family.ledger.accounts), len(family.ledger.postings), len(family.sent()))
    await quote(family, "R1", 80_00)
    assert (dict(family.ledger.accounts), len(family.ledger.postings), len(family.sent())) == before
    assert family.ledger.claim_payments == {}


async def test_a_person_the_wallet_has_never_seen_is_quoted_all_cash(family) -> None:
    quoted = await quote(family, "NOBODY", 12_34)
    assert (quoted.acct_pay, quoted.acct_mulaid_pay, quoted.psn_cash_pay, quoted.balc) == (0, 0, 12_34, 0)
