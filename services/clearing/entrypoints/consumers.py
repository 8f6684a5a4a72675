"""Clearing's subscriber: thin; a settled or cancelled claim becomes a fact for the service layer.

Only `ClaimSettled` and `ClaimCancelled` are in the table; the runtime skips the other outcomes
(rejections, pre-settlements). A fact the domain cannot admit raises a `ClearingFault`, which the
runtime parks in the dead-letter topic with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from libs.contracts.claims import ClaimCancelled, ClaimSettled
from libs.contracts.envelope import Envelope
from libs.contracts.topics import CLAIMS_OUTCOMES
from libs.messaging.ports import Transaction
from libs.messaging.runtime import ServiceRuntime
from services.clearing.domain import fact_from_cancelled, fact_from_settled
from services.clearing.service_layer.service import ClearingService


def register(runtime: ServiceRuntime, service: ClearingService) -> None:
    async def settled(tx: Transaction, env: Envelope[ClaimSettled]) -> None:
        await service.receive(tx, fact_from_settled(env.payload), causation=env)

    async def cancelled(tx: Transaction, env: Envelope[ClaimCancelled]) -> None:
        await service.receive(tx, fact_from_cancelled(env.payload), causation=env)

    # Off the hospital's path: batches gathered for a quarter second cost far less a claim.
    runtime.consume(CLAIMS_OUTCOMES, {ClaimSettled: settled, ClaimCancelled: cancelled}, follower=True,
                    select=maybe_cross_region)


def maybe_cross_region(headers: Mapping[str, bytes]) -> bool:
    """Whether an outcome may concern clearing: not when its routing headers say the insured region
    treated its own patient (most claims), which the domain would only pass over after decoding it
    (`clearing_scope_of`). Without the headers, it may."""
    insured, treated = headers.get("insuplc_admdvs"), headers.get("mdtrtarea_admvs")
    return insured is None or insured != treated
