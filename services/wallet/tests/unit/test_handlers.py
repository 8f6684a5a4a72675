"""The service layer against the fakes: each message becomes the right domain call, and every answer
(or refusal, with its reason) goes out through the outbox on the right topic with the right key."""

from __future__ import annotations

from datetime import date

import pytest

from libs.contracts import claims as c
from libs.contracts import wallet as w
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.registry import decode
from libs.messaging.consumer import TRANSIENT_ERRORS
from libs.messaging.fakes import FakeTransaction
from services.wallet.domain import LocksIncomplete
from services.wallet.service_layer.handlers import BindingsKeptChanging, Refused, WalletHandlers
from services.wallet.tests.unit.builders import cst
from services.wallet.tests.unit.fakes import FakeLedger, FakePersons


class Service:
    def __init__(self) -> None:
        self.ledger, self.persons, self.tx = FakeLedger(), FakePersons(), FakeTransaction({})
        self.handlers = WalletHandlers(lambda tx: self.ledger, lambda tx: self.persons,
                                       clock=lambda: cst(2026, 3, 2, 10))

    def sent(self) -> list[tuple[str, str, object]]:
        return [(m.topic, m.key, decode(m.value).payload) for m in self.tx.state.get("outbox", [])]

    async def enroll(self, psn_no: str, insutype: str = "310", region: str = "430100") -> None:
        await self.handlers.project_person(self.tx, CoverageChanged(
            psn_no=psn_no, version=1, insutype=insutype, insuplc_admdvs=region, gend="1", age=40, active=True,
            coverage_begin=date(2020, 1, 1)))

    async def credit(self, psn_no: str, amount: int, credit_id: str = "CR1") -> object:
        return await self.handlers.credit_account(self.tx, w.CreditPersonalAccount(
            credit_id=credit_id, psn_no=psn_no, amount=amount, kind="contribution", year=2026))


@pytest.fixture
def service() -> Service:
    return Service()


async def test_a_paid_claim_is_answered_on_wallet_payments_keyed_by_the_patient(service) -> None:
    await service.enroll("P1")
    await service.credit("P1", 50_00)
    await service.handlers.pay_personal_part(service.tx, c.ClaimAdjudicated(
        claim_id="C1", setl_id="S1", psn_no="P1", insutype="310", fixmedins_code="H1", psn_part_amt=80_00,
        acct_used_flag=True))
    topic, key, paid = service.sent()[-1]
    assert (topic, key) == ("wallet.payments", "P1")
    assert paid == c.PersonalPartPaid(claim_id="C1", setl_id="S1", psn_no="P1", acct_pay=50_00, acct_mulaid_pay=0,
                                      psn_cash_pay=30_00, balc=0)


async def test_a_refused_transfer_is_answered_with_its_reason_and_records_nothing(service) -> None:
    answer = await service.handlers.transfer_to_relative(service.tx, w.TransferToRelative(
        transfer_id="T1", psn_no="H1", relative_psn_no="R1", amount=250_000))
    assert answer == Refused("TRANSFER_LIMIT_EXCEEDED", answer.reason)
    topic, key, refused = service.sent()[-1]
    assert (topic, key, refused.command_id) == ("wallet.events", "H1", "T1")
    assert refused.command_type == "TransferToRelative"
    assert refused.reason_code == "TRANSFER_LIMIT_EXCEEDED" and "2,000.00 yuan" in refused.reason
    assert service.ledger.postings == [] and service.ledger.transfers == {}


async def test_a_credit_before_the_coverage_waits_then_lands_from_the_persons_region(service) -> None:
    assert await service.credit("P1", 300_00) is None
    assert service.sent() == [] and "CR1" in service.persons.parked
    await service.enroll("P1", region="371300")
    topic, key, credited = service.sent()[-1]
    assert (topic, key, credited.balc) == ("wallet.events", "P1", 300_00)
    assert service.ledger.credits["CR1"].region == "371300" and service.persons.parked == {}


async def test_a_waiting_credit_id_reused_for_another_amount_is_refused(service) -> None:
    await service.credit("P1", 300_00)
    answer = await service.credit("P1", 999_00)
    assert answer.reason_code == "CREDIT_ID_REUSED"


async def test_binding_takes_both_peoples_insurance_from_the_projection(service) -> None:
    await service.enroll("H1", insutype="390")
    await service.enroll("R1", insutype="390")
    bind = w.BindRelative(command_id="B1", psn_no="H1", relative_psn_no="R1", relation="child", uses=["medical"])
    assert (await service.handlers.bind_relative(service.tx, bind)).reason_code == "HOLDER_HAS_NO_ACCOUNT"
    unknown = bind.model_copy(update={"psn_no": "H9", "command_id": "B2"})
    assert (await service.handlers.bind_relative(service.tx, unknown)).reason_code == "HOLDER_NOT_INSURED"
    no_use = bind.model_copy(update={"uses": []})
    assert (await service.handlers.bind_relative(service.tx, no_use)).reason_code == "NO_USE_CHOSEN"


async def test_a_relatives_premium_goes_to_the_relatives_region_and_is_keyed_by_the_relative(service) -> None:
    await service.enroll("H1")
    await service.enroll("R1", insutype="390", region="371300")
    await service.credit("H1", 1_000_00)
    await service.handlers.bind_relative(service.tx, w.BindRelative(
        command_id="B1", psn_no="H1", relative_psn_no="R1", relation="parent", uses=["premium"]))
    await service.handlers.pay_relative_premium(service.tx, w.PayRelativePremium(
        payment_id="PP1", psn_no="H1", relative_psn_no="R1", coverage_year=2027, amount=380_00))
    topic, key, paid = service.sent()[-1]
    assert (topic, key, paid.payer_psn_no, paid.amount) == ("wallet.events", "R1", "H1", 380_00)
    assert service.ledger.premium_payments["PP1"].region == "371300"


async def test_bindings_that_keep_changing_become_a_failure_the_runtime_retries(service, monkeypatch) -> None:
    async def never_settles(book, cmd, policy):
        raise LocksIncomplete("H2 appeared")

    monkeypatch.setattr("services.wallet.service_layer.recipes.pay_claim", never_settles)
    with pytest.raises(BindingsKeptChanging) as raised:
        await service.handlers.pay_personal_part(service.tx, c.ClaimAdjudicated(
            claim_id="C1", setl_id="S1", psn_no="P1", insutype="310", fixmedins_code="H1", psn_part_amt=1,
            acct_used_flag=True))
    assert isinstance(raised.value, TRANSIENT_ERRORS)
