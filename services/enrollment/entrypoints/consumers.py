"""Enrollment's subscribers: thin; each topic's batches go to the runtime with a handler table."""

from __future__ import annotations

from libs.audit.commands import audited
from libs.contracts.topics import CLAIMS_OUTCOMES, ENROLLMENT_COMMANDS, REIMBURSEMENTS_OUTCOMES, WALLET_EVENTS
from libs.messaging.runtime import ServiceRuntime
from libs.pii import PiiVault
from services.enrollment.service_layer.handlers import EnrollmentService

DEAD_LETTER_FIELD = "dead_letter"  # the associated data of a sealed dead letter (libs/pii.py)


class DeadLetterSealer:
    """A parked office command, sealed under the PII key; opened again for an operator's replay."""

    def __init__(self, vault: PiiVault) -> None:
        self._vault = vault

    def seal(self, value: bytes) -> bytes:
        return self._vault.seal_bytes(DEAD_LETTER_FIELD, value)

    def open(self, value: bytes) -> bytes:
        return self._vault.open_bytes(DEAD_LETTER_FIELD, value)


def register(runtime: ServiceRuntime, service: EnrollmentService, vault: PiiVault) -> None:
    # All keyed by psn_no except claims.outcomes (by institution): the person's row lock orders those.
    # An office's command carries the ID number and name: parked, it is sealed (docs/enrollment.md).
    runtime.consume(ENROLLMENT_COMMANDS, audited(service.commands_table(), ENROLLMENT_COMMANDS),
                    sealer=DeadLetterSealer(vault))
    runtime.consume(WALLET_EVENTS, service.wallet_table())  # RelativePremiumPaid
    # ClaimSettled / ClaimCancelled, for no-claim years: off the hospital's path, so batches are
    # gathered for a quarter second and handled set-based (docs/performance.md).
    runtime.consume(CLAIMS_OUTCOMES, service.claims_table(), batch=service.claims_batch_table(),
                    follower=True)
    # ReimbursementSettled / ReimbursementCancelled: an office's manual reimbursement is a fund payment too.
    reimbursements = service.reimbursements_table()
    runtime.consume(REIMBURSEMENTS_OUTCOMES, dict.fromkeys(reimbursements, service.fund_payments.handle_one),
                    batch=reimbursements, follower=True)
