"""While a service's database is away, its API answers 503 TRY_AGAIN with Retry-After, never a 500, and
its consumers wait (on the real services with Postgres stopped: tests/e2e/test_restarts.py)."""

from __future__ import annotations

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from libs.http import answer_refusals
from libs.messaging.fakes import FakeDatabase
from libs.tests.test_consumer_runtime import credit, processor, records


def app_failing_with(error: Exception) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/thing")
    async def thing() -> dict[str, str]:
        raise error

    @app.get("/v1/bug")
    async def bug() -> dict[str, str]:
        raise KeyError("a bug stays a 500")

    return answer_refusals(app)


@pytest.mark.parametrize("error", [ConnectionRefusedError(111, "Connection refused"),
                                   asyncpg.CannotConnectNowError("the database system is starting up"),
                                   asyncpg.InterfaceError("connection is closed"),
                                   asyncpg.exceptions.AdminShutdownError("terminating connection"),
                                   TimeoutError()],
                         ids=lambda e: type(e).__name__)
def test_a_database_away_is_answered_503_try_again(error: Exception) -> None:
    answer = TestClient(app_failing_with(error)).get("/v1/thing")
    assert answer.status_code == 503
    assert answer.json()["reason_code"] == "TRY_AGAIN" and "send the same request again" in answer.json()["reason"]
    assert answer.headers["Retry-After"] == "5"


def test_a_bug_is_not_passed_off_as_the_database_away() -> None:
    answer = TestClient(app_failing_with(ConnectionRefusedError()), raise_server_exceptions=False).get("/v1/bug")
    assert answer.status_code == 500


@pytest.mark.parametrize("error", [asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
                                   asyncpg.exceptions.CrashShutdownError("terminating connection because of crash")],
                         ids=lambda e: type(e).__name__)
async def test_a_batch_cut_off_by_the_servers_shutdown_is_retried_not_taken_for_a_bad_message(error: Exception) -> None:
    db = FakeDatabase()
    db.failures_to_inject = [error]
    stats = await processor(db).process(records(credit("c1")))
    assert db.state["credited"] == ["c1"] and stats.attempts == 2 and stats.dead_lettered == 0
