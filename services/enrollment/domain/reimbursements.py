"""Whether the funds paid anything in a settlement year: what the no-claim-year incentive counts (零报销).

The service layer keeps the register of settled claims (service_layer/fund_payments.py) and sends
`RecordFundPaymentYear` only when a year's total crosses zero; the person records the change.
"""

from __future__ import annotations

from services.enrollment.domain.commands import RecordFundPaymentYear
from services.enrollment.domain.events import Event, FundPaymentYearChanged
from services.enrollment.domain.policy import PolicyBook
from services.enrollment.domain.state import PersonState


def record_fund_payment_year(state: PersonState, cmd: RecordFundPaymentYear, policy: PolicyBook) -> tuple[Event, ...]:
    if (cmd.settlement_year in state.years_with_fund_payment()) == cmd.paid:
        return ()  # already so
    return (FundPaymentYearChanged(command_id=cmd.command_id, psn_no=state.psn_no, settlement_year=cmd.settlement_year,
                                   paid=cmd.paid, claim_id=cmd.claim_id),)
