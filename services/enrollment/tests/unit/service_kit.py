"""What the service-layer tests share: the service on the in-memory store, the shipped policy, messages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from libs.contracts import claims as c
from libs.contracts import enrollment as w
from libs.contracts import reimbursement as r
from libs.contracts.envelope import Envelope, Payload, new_envelope
from libs.contracts.registry import decode
from libs.messaging.fakes import FakeDatabase, FakeTransaction
from services.enrollment.adapters.policy_file import load_policy
from services.enrollment.bootstrap import POLICY_FILE
from services.enrollment.service_layer.handlers import EnrollmentService
from services.enrollment.tests.unit.fakes import InMemoryStore
from tests.support.people import register as office_registration

POLICY = load_policy(POLICY_FILE)
JUNE_2026 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in China


def enrollment_service() -> EnrollmentService:
    return EnrollmentService(POLICY, lambda tx: InMemoryStore(cast(FakeTransaction, tx).conn))


class Office:
    """An enrollment office's system talking to the service over the fake database."""

    def __init__(self) -> None:
        self.db = FakeDatabase()
        self.service = enrollment_service()

    async def send(self, command: Payload, at: datetime = JUNE_2026) -> w.CommandOutcome:
        """An office's command, and the outcome the office gets back."""
        outcome = await self._handle(command, at)
        assert outcome is not None, f"{type(command).__name__} has no outcome: deliver() it"
        return outcome

    async def deliver(self, message: Payload, at: datetime = JUNE_2026) -> None:
        """A message whose outcome the test does not read: a settled or cancelled claim or reimbursement from
        settlement (it has none: it goes to the register), or a command of a history."""
        await self._handle(message, at)

    async def _handle(self, payload: Payload, at: datetime) -> w.CommandOutcome | None:
        env = new_envelope(payload, producer="test-office", correlation_id="c", occurred_at=at)
        async with self.db.transaction() as tx:
            if isinstance(payload, c.ClaimSettled | c.ClaimCancelled):
                await self.service.claims_table()[type(payload)](tx, env)
                return None
            if isinstance(payload, r.ReimbursementSettled | r.ReimbursementCancelled):
                await self.service.reimbursements_table()[type(payload)](tx, [env])
                return None
            return await self.service.execute(tx, env)

    def published(self, event_type: str | None = None) -> list[Envelope[Any]]:
        found = [decode(m.value) for m in self.db.outbox]
        return [e for e in found if event_type is None or e.event_type == event_type]

    def coverage(self, psn_no: str) -> w.CoverageChanged:
        """The newest snapshot published for the person."""
        return [e.payload for e in self.published("CoverageChanged") if e.payload.psn_no == psn_no][-1]

    @property
    def tables(self) -> dict[str, dict[Any, Any]]:  # "years" is keyed by (psn_no, year)
        return self.db.state.get("enrollment", {"persons": {}, "events": {}, "commands": {}, "claims": {}, "years": {}})


def resident(psn_no: str, seq: int, *, begndate: date | None = date(2020, 1, 1), region: str = "430100") -> w.RegisterPerson:
    reg = office_registration(psn_no, seq, insutype="390", region=region)
    return reg.model_copy(update={"begndate": begndate})


def employee(psn_no: str, seq: int, *, retired: bool = False) -> w.RegisterPerson:
    return office_registration(psn_no, seq, insutype="310", retired=retired)


def _amounts(fund: int) -> c.SettlementAmounts:
    return c.SettlementAmounts(
        medfee_sumamt=fund * 2, fulamt_ownpay_amt=0, overlmt_selfpay=0, preselfpay_amt=0, inscp_scp_amt=fund * 2,
        act_pay_dedc=0, hifp_pay=fund, pool_prop_selfpay=Decimal("0.5"), fund_pay_sumamt=fund, psn_part_amt=fund,
    )


def settled_claim(claim_id: str, psn_no: str, when: datetime, fund: int) -> c.ClaimSettled:
    amounts = _amounts(fund)
    return c.ClaimSettled(
        claim_id=claim_id, fixmedins_code="H1", psn_no=psn_no, setl_id=f"S{claim_id}", insutype="390", med_type="11",
        insuplc_admdvs="430100", mdtrtarea_admvs="430100", setl_time=when, amounts=amounts, acct_pay=0,
        acct_mulaid_pay=0, psn_cash_pay=fund, balc=0, setldetail=[c.FundDetail(fund_pay_type="hifp", fund_payamt=fund)],
    )



def cancelled_claim(claim_id: str, psn_no: str, cancel_id: str, fund: int = 5_000) -> c.ClaimCancelled:
    return c.ClaimCancelled(
        claim_id=claim_id, fixmedins_code="H1", psn_no=psn_no, cancel_id=cancel_id, setl_id=f"S{claim_id}",
        insuplc_admdvs="430100", mdtrtarea_admvs="430100", cancel_time=datetime(2026, 6, 1, 9),
        amounts=_amounts(fund), setldetail=[c.FundDetail(fund_pay_type="hifp", fund_payamt=fund)],
        acct_pay=0, acct_mulaid_pay=0, psn_cash_pay=fund,
    )


def settled_reimbursement(office_ref: str, psn_no: str, when: datetime | None, fund: int) -> r.ReimbursementSettled:
    """An office's manual reimbursement (零星报销), settled; `when` None: a message from before `setl_time`."""
    return r.ReimbursementSettled(
        office_ref=office_ref, insuplc_admdvs="430100", psn_no=psn_no, setl_id=f"S{office_ref}",
        mdtrtarea_admvs="440300", amounts=_amounts(fund), setldetail=[c.FundDetail(fund_pay_type="hifp", fund_payamt=fund)],
        acct_pay=0, acct_mulaid_pay=0, payable_amt=fund, setl_time=when)


def cancelled_reimbursement(office_ref: str, psn_no: str, fund: int = 5_000) -> r.ReimbursementCancelled:
    return r.ReimbursementCancelled(office_ref=office_ref, insuplc_admdvs="430100", psn_no=psn_no,
                                    setl_id=f"S{office_ref}", amounts=_amounts(fund))
