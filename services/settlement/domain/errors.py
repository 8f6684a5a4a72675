"""Why a claim is refused (stable reason codes) and the named errors the domain raises.

A refusal is an answer to the hospital, not a failure of the engine: `adjudicate` turns every
`ClaimRefused` into a `Rejection`. `ReferenceDataError` is different: a broken policy pack or
catalogue is a deployment fault and must stop the service at start-up.
"""

from __future__ import annotations

from enum import StrEnum

from libs.errors import DomainError


class ReasonCode(StrEnum):
    """Machine codes of `ClaimRejected.reason_code`; hospitals map them to their own messages."""

    NOT_INSURED = "NOT_INSURED"
    WAITING_PERIOD = "WAITING_PERIOD"
    CROSS_REGION_NOT_FILED = "CROSS_REGION_NOT_FILED"
    CHRONIC_NOT_APPROVED = "CHRONIC_NOT_APPROVED"
    SPECIAL_DRUG_CHANNEL = "SPECIAL_DRUG_CHANNEL"
    EXCLUDED_SERVICE = "EXCLUDED_SERVICE"
    NO_POLICY_PACK = "NO_POLICY_PACK"
    NO_CATALOGUE = "NO_CATALOGUE"
    TRACEABILITY_CODE_REUSED = "TRACEABILITY_CODE_REUSED"
    INVALID_CLAIM = "INVALID_CLAIM"
    # manual reimbursement (零星报销)
    ALREADY_SETTLED_DIRECTLY = "ALREADY_SETTLED_DIRECTLY"
    OUTSIDE_TIME_LIMIT = "OUTSIDE_TIME_LIMIT"
    RECEIPT_ALREADY_REIMBURSED = "RECEIPT_ALREADY_REIMBURSED"
    ALREADY_REIMBURSED = "ALREADY_REIMBURSED"  # a direct settlement of a visit an office reimbursed


class ClaimRefused(DomainError):
    """A rule refuses the claim; `reason` is a sentence a hospital clerk can act on."""

    reason_code: ReasonCode  # type: ignore[misc]  # set per instance

    def __init__(self, reason_code: ReasonCode, reason: str) -> None:
        super().__init__(reason, reason_code)

    @property
    def reason(self) -> str:
        return self.sentence


class NoPolicyPack(ClaimRefused):
    """No policy pack is in force for the insured region, scheme and date of service."""

    def __init__(self, reason: str) -> None:
        super().__init__(ReasonCode.NO_POLICY_PACK, reason)


class NoCatalogue(ClaimRefused):
    """No catalogue is loaded for the treatment region."""

    def __init__(self, reason: str) -> None:
        super().__init__(ReasonCode.NO_CATALOGUE, reason)


class ReferenceDataError(ValueError):
    """A policy pack or catalogue that cannot be used: names the file, the field and the fault."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.path = path
        self.problem = problem
