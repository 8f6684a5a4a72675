"""The claim run's one-statement open-and-lock against another transaction opening the same row."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from libs.db.migrations import migrate
from libs.messaging import postgres
from services.wallet.adapters.claims_run import PostgresClaimRun
from services.wallet.bootstrap import MIGRATIONS

pytestmark = pytest.mark.integration


async def test_a_row_another_transaction_opens_meanwhile_is_still_locked_and_read(own_namespace) -> None:
    conn, other, third = [await asyncpg.connect(own_namespace.dsn("wallet")) for _ in range(3)]
    try:
        await migrate(conn, {"messaging": postgres.MIGRATIONS, "wallet": MIGRATIONS})
        await conn.execute("DELETE FROM accounts WHERE psn_no IN ('LATE', 'NEW', 'OLD')")
        await conn.execute("INSERT INTO accounts (psn_no, wallet) VALUES ('OLD', 500)")
        opening = other.transaction()
        await opening.start()
        await other.execute("INSERT INTO accounts (psn_no, wallet) VALUES ('LATE', 700)")  # not committed yet
        run = PostgresClaimRun(conn)
        holding = conn.transaction()
        await holding.start()
        prefetch = asyncio.create_task(run.prefetch(["LATE", "NEW", "OLD"], ["S-NONE"]))
        await asyncio.sleep(0.3)
        assert not prefetch.done()  # its insert of LATE waits for the other transaction
        await opening.commit()
        await asyncio.wait_for(prefetch, 10)
        locked = await run.lock_accounts(["LATE", "NEW", "OLD"])
        assert {p: a.wallet for p, a in locked.items()} == {"LATE": 700, "NEW": 0, "OLD": 500}
        with pytest.raises(asyncpg.LockNotAvailableError):  # every row is held by the run
            await third.fetch("SELECT psn_no FROM accounts WHERE psn_no = 'LATE' FOR UPDATE NOWAIT")
        await holding.rollback()
    finally:
        for c in (conn, other, third):
            await c.close()
