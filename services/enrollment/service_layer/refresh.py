"""Republish snapshots the calendar has changed: coverage that started or ended, a waiting period, a birthday.

A snapshot says what holds on one day. Nothing is recorded at midnight, yet on 1 January a resident who
did not pay is no longer insured and one who paid in December is; the projections learn it from here.
Each person whose snapshot describes an earlier day is looked at once a day: a changed view is published
under a new version, an unchanged one only moves its day on.
"""

from __future__ import annotations

from datetime import date

from libs.messaging.ports import Database
from services.enrollment.service_layer.handlers import StoreFor
from services.enrollment.service_layer.snapshots import publish_snapshot


async def refresh_snapshots(database: Database, store_for: StoreFor, today: date, *, batch: int = 200) -> int:
    """Bring every snapshot up to `today`, a batch per transaction; return how many were published anew."""
    published = 0
    while True:
        async with database.transaction() as tx:
            store = store_for(tx)
            stale = await store.stale_snapshots(today, batch)
            for psn_no in stale:
                stored = await store.get_person(psn_no)
                assert stored is not None
                version = await publish_snapshot(store, tx, stored, today, correlation_id=f"refresh:{today.isoformat()}",
                                                 causation=None, only_if_changed=True)
                published += version != stored.snapshot_version
        if len(stale) < batch:
            return published
