"""`PostgresWalletBook` honours the `WalletBook` contract, and its tables refuse what the ledger forbids."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from libs.db.migrations import migrate
from libs.messaging import postgres
from services.wallet.adapters.book import PostgresWalletBook
from services.wallet.bootstrap import MIGRATIONS
from services.wallet.domain import LocksIncomplete, decide_credit
from services.wallet.tests.unit.book_contract import WalletBookContract, a_credit

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def book_database(own_namespace) -> str:
    """The module's own wallet database: the contract uses fixed ids (P1, H1…) and expects nothing else."""
    dsn = own_namespace.dsn("wallet")
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, {"messaging": postgres.MIGRATIONS, "wallet": MIGRATIONS})
    finally:
        await conn.close()
    return dsn


@pytest.fixture
async def conn(book_database) -> AsyncIterator[asyncpg.Connection]:
    """Each test in a transaction rolled back at its end, so every test starts from empty tables."""
    connection = await asyncpg.connect(book_database)
    tx = connection.transaction()
    await tx.start()
    try:
        yield connection
    finally:
        await tx.rollback()
        await connection.close()


class TestPostgresWalletBookHonoursTheContract(WalletBookContract):
    @pytest.fixture
    def book(self, conn):
        return PostgresWalletBook(conn)


async def test_the_book_refuses_to_write_a_row_it_did_not_lock(conn) -> None:
    book = PostgresWalletBook(conn)
    rows = await book.lock_accounts(["P1"])
    with pytest.raises(LocksIncomplete):
        await PostgresWalletBook(conn).record(decide_credit(a_credit("CR1", "P1", 500), rows["P1"], None))


async def test_a_balance_below_zero_is_refused_by_the_table_itself(conn) -> None:
    await PostgresWalletBook(conn).lock_accounts(["P1"])
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute("UPDATE accounts SET wallet = -1 WHERE psn_no = 'P1'")


async def test_postings_are_append_only_and_must_balance(conn) -> None:
    book = PostgresWalletBook(conn)
    rows = await book.lock_accounts(["P1"])
    await book.record(decide_credit(a_credit("CR1", "P1", 500), rows["P1"], None))
    for change in ("UPDATE posting_lines SET amount = 600 WHERE amount = 500", "DELETE FROM postings",
                   "UPDATE credits SET amount = 1"):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            async with conn.transaction():
                await conn.execute(change)
    seq = await conn.fetchval(
        "INSERT INTO postings (key, kind, occurred_at) VALUES ('x', 'credit', now()) RETURNING seq")
    with pytest.raises(asyncpg.CheckViolationError, match="does not balance"):
        await conn.execute("INSERT INTO posting_lines (posting_seq, line_no, account, amount) VALUES"
                           " ($1, 0, 'contributions:430100', -5), ($1, 1, 'claims-payable:H1', 4)", seq)


async def test_a_written_posting_takes_no_more_lines_even_balanced_ones(conn) -> None:
    seq = await conn.fetchval(
        "INSERT INTO postings (key, kind, occurred_at) VALUES ('y', 'credit', now()) RETURNING seq")
    await conn.execute("INSERT INTO posting_lines (posting_seq, line_no, account, amount) VALUES"
                       " ($1, 0, 'contributions:430100', -5), ($1, 1, 'claims-payable:H1', 5)", seq)
    with pytest.raises(asyncpg.CheckViolationError, match="adds lines to a posting already written"):
        await conn.execute("INSERT INTO posting_lines (posting_seq, line_no, account, amount) VALUES"
                           " ($1, 2, 'contributions:430101', -7), ($1, 3, 'claims-payable:H2', 7)", seq)
