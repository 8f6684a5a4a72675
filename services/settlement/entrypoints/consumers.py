"""Settlement's subscribers: thin; each topic's batches go to the runtime with a handler table."""

from __future__ import annotations

from libs.audit.commands import audited
from libs.contracts.topics import CLAIMS_SUBMITTED, ENROLLMENT_EVENTS, REIMBURSEMENTS_COMMANDS, WALLET_PAYMENTS
from libs.messaging.runtime import ServiceRuntime
from services.settlement.service_layer.handlers import SettlementHandlers
from services.settlement.service_layer.reimbursement import ReimbursementHandlers


def register(runtime: ServiceRuntime, handlers: SettlementHandlers, reimbursements: ReimbursementHandlers) -> None:
    # Claims and wallet payments are keyed by psn_no: one person's messages are handled in order.
    # Runs of submitted claims and of payments are handled set-based (docs/performance.md).
    runtime.consume(CLAIMS_SUBMITTED, handlers.claims_table(), batch=handlers.claims_batch_table())
    runtime.consume(WALLET_PAYMENTS, handlers.wallet_table(), batch=handlers.wallet_batch_table())
    runtime.consume(ENROLLMENT_EVENTS, handlers.enrollment_table())
    # Offices' manual reimbursements (零星报销), keyed by psn_no too; one message at a time (few, and off the counter's path).
    runtime.consume(REIMBURSEMENTS_COMMANDS, audited(reimbursements.table(), REIMBURSEMENTS_COMMANDS))
