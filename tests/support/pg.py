"""Postgres in the tests: the connection the adapters take, from a pool or from the runtime's transaction."""

from __future__ import annotations

from typing import cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from libs.messaging.ports import Transaction
from libs.messaging.postgres import PgTransaction


def connection(conn: asyncpg.Connection | PoolConnectionProxy) -> asyncpg.Connection:
    """A pool's connection as the adapters type it: asyncpg types it as a proxy that forwards every
    `Connection` method to one (`PgDatabase.transaction` casts it the same way)."""
    return cast(asyncpg.Connection, conn)


def connection_of(tx: Transaction) -> asyncpg.Connection:
    """The connection of the runtime's Postgres transaction, as a service's bootstrap reaches it."""
    return cast(PgTransaction, tx).conn
