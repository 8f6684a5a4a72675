"""A service with nothing to do: each ClaimSubmitted is forwarded as a ClaimAdjudicated.

Run by `tests.bench.hop` to measure what the messaging runtime alone costs per message and per hop
(consume, decode, inbox, outbox, commit, relay, offsets), with no domain work in the way.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from libs.contracts import claims as c
from libs.contracts.envelope import Envelope
from libs.contracts.topics import CLAIMS_ADJUDICATED, CLAIMS_SUBMITTED
from libs.logging import configure
from libs.messaging.emit import emit
from libs.messaging.main import run
from libs.messaging.ports import Transaction
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings

# Any database of the namespace will do (only the messaging tables are used); the hop connects as the
# role that owns it, since there is no `hop` role (libs/db/provision.py makes one role per service).
BORROWED = "clearing"


class HopSettings(ServiceSettings):
    service_name: str = "hop"
    database: str = BORROWED


async def forward(tx: Transaction, env: Envelope[c.ClaimSubmitted]) -> None:
    claim = env.payload
    emit(tx, CLAIMS_ADJUDICATED, claim.psn_no, c.ClaimAdjudicated(
        claim_id=claim.claim_id, setl_id=f"S{claim.claim_id}", psn_no=claim.psn_no, insutype=claim.insutype,
        fixmedins_code=claim.fixmedins_code, psn_part_amt=0, acct_used_flag=claim.acct_used_flag,
    ), producer="hop", correlation_id=claim.claim_id, causation=env)


def bootstrap() -> tuple[ServiceRuntime, object]:
    settings = HopSettings()
    configure(settings.service_name, settings.log_level)
    no_migrations = tempfile.TemporaryDirectory(prefix="hop-migrations-")  # removed when the process ends
    runtime = ServiceRuntime(settings, Path(no_migrations.name))
    runtime.no_migrations = no_migrations  # type: ignore[attr-defined]  # kept alive as long as the runtime
    runtime.consume(CLAIMS_SUBMITTED, {c.ClaimSubmitted: forward})
    return runtime, runtime.app()


if __name__ == "__main__":
    run(bootstrap)
