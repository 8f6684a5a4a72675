"""Every Kafka topic of the platform, defined once.

Keys decide ordering: everything about one insured person is keyed by `psn_no`, so one person's
claims, payments and enrollment changes are handled in order by one consumer at a time; outcomes are
keyed by the hospital (`fixmedins_code`) so a hospital reads one partition (see docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    key: str
    description: str


CLAIMS_SUBMITTED = Topic(
    "claims.submitted", 6, "psn_no",
    "Claims (settle, pre-settle, cancel) from hospitals and pharmacies to the settlement engine.",
)
CLAIMS_ADJUDICATED = Topic(
    "settlement.adjudicated", 6, "psn_no",
    "Adjudicated claims and cancellations from settlement to the wallet, which pays the personal part.",
)
WALLET_PAYMENTS = Topic(
    "wallet.payments", 6, "psn_no",
    "How the wallet paid (or refunded) the personal part of a claim, back to settlement.",
)
CLAIMS_OUTCOMES = Topic(
    "claims.outcomes", 6, "fixmedins_code",
    "Final outcomes (settled, rejected, pre-settled, cancelled) for hospitals, and for clearing.",
)
ENROLLMENT_COMMANDS = Topic(
    "enrollment.commands", 3, "psn_no",
    "Commands from enrollment offices' systems to the enrollment service.",
)
ENROLLMENT_EVENTS = Topic(
    "enrollment.events", 3, "psn_no",
    "Facts about insured persons, their coverage and filings, for every service's projection.",
)
WALLET_COMMANDS = Topic(
    "wallet.commands", 3, "psn_no",
    "Wallet transfers and family mutual-aid bindings requested by account holders.",
)
WALLET_EVENTS = Topic(
    "wallet.events", 3, "psn_no",
    "Facts about personal accounts: credits, transfers, premium payments for relatives.",
)
CLEARING_EVENTS = Topic(
    "clearing.events", 1, "cycle_id",
    "Clearing cycles closed and reconciled between pooling regions.",
)
REIMBURSEMENTS_COMMANDS = Topic(
    "reimbursements.commands", 3, "psn_no",
    "Manual reimbursements (零星报销) from enrollment offices to settlement: submit, cancel, payout done.",
)
REIMBURSEMENTS_OUTCOMES = Topic(
    "reimbursements.outcomes", 3, "insuplc_admdvs",
    "Manual reimbursements' outcomes from settlement to the offices of the insured region.",
)
DEAD_LETTER = Topic(
    "dead-letter", 1, "source key",
    "Messages no consumer could handle, with the original bytes, their source and the reason.",
)

ALL_TOPICS: tuple[Topic, ...] = (
    CLAIMS_SUBMITTED, CLAIMS_ADJUDICATED, WALLET_PAYMENTS, CLAIMS_OUTCOMES,
    ENROLLMENT_COMMANDS, ENROLLMENT_EVENTS, WALLET_COMMANDS, WALLET_EVENTS,
    CLEARING_EVENTS, REIMBURSEMENTS_COMMANDS, REIMBURSEMENTS_OUTCOMES, DEAD_LETTER,
)
