"""The console's subscribers: claims as submitted (settle requests) and every outcome, into the projection.

Followers, off the hospital's path: batches are gathered for FOLLOWER_LINGER_MS and written set-based.
"""

from __future__ import annotations

from libs.contracts import claims as c
from libs.contracts.topics import CLAIMS_OUTCOMES, CLAIMS_SUBMITTED
from libs.messaging.runtime import ServiceRuntime
from services.console.service_layer import projection

OUTCOMES = (c.ClaimSettled, c.ClaimPreSettled, c.ClaimRejected, c.ClaimCancelled)


def register(runtime: ServiceRuntime) -> None:
    runtime.consume(CLAIMS_SUBMITTED, {c.ClaimSubmitted: projection.one_submission},
                    {c.ClaimSubmitted: projection.submissions}, follower=True)
    runtime.consume(CLAIMS_OUTCOMES, dict.fromkeys(OUTCOMES, projection.one_outcome),
                    dict.fromkeys(OUTCOMES, projection.outcomes), follower=True)
