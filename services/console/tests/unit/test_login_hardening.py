"""Guessing passwords at the console's sign-in is slowed to a few tries per user name from one address,
per address and per name from everywhere (so an attacker's few tries do not lock the operator out at
their own desk), and the session cookie travels only over HTTPS but on `make run`'s plain-HTTP loopback address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from services.console.domain.login_throttle import (
    FailureCounts,
    Failures,
    LoginLocked,
    ThrottlePolicy,
    check_not_locked,
)

LOCAL = "http://127.0.0.1:8100"
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(per_username_address=5, per_address=20, per_username=50, window=timedelta(minutes=15))


def wrong(client: TestClient, username: str = "operator") -> int:
    return client.post("/api/login", json={"username": username, "password": "guess"}).status_code


def right(client: TestClient, username: str = "operator", password: str = "op-secret") -> int:
    return client.post("/api/login", json={"username": username, "password": password}).status_code


def at(console_app, address: str) -> TestClient:
    return TestClient(console_app, base_url=LOCAL, client=(address, 50000))


def test_the_fifth_failure_of_a_name_from_one_address_locks_it_there_until_the_first_leaves_the_window() -> None:
    check_not_locked(POLICY, FailureCounts(name_at_address=Failures(4, NOW - timedelta(minutes=1))), NOW)
    with pytest.raises(LoginLocked) as locked:
        check_not_locked(POLICY, FailureCounts(name_at_address=Failures(5, NOW - timedelta(minutes=5))), NOW)
    assert locked.value.retry_after_s == 600
    assert "Try again in 10 minutes" in str(locked.value)


def test_twenty_failures_from_one_address_lock_it_whatever_the_names() -> None:
    with pytest.raises(LoginLocked):
        check_not_locked(POLICY, FailureCounts(address=Failures(20, NOW - timedelta(minutes=14, seconds=30))), NOW)


def test_a_name_is_locked_from_everywhere_only_at_the_spread_guess_limit() -> None:
    check_not_locked(POLICY, FailureCounts(name=Failures(49, NOW - timedelta(minutes=1))), NOW)
    with pytest.raises(LoginLocked) as locked:
        check_not_locked(POLICY, FailureCounts(name=Failures(50, NOW - timedelta(minutes=1))), NOW)
    assert locked.value.retry_after_s == 14 * 60


def test_the_longest_wait_of_the_counts_at_their_limits_is_the_answer() -> None:
    with pytest.raises(LoginLocked) as locked:
        check_not_locked(POLICY, FailureCounts(name_at_address=Failures(5, NOW - timedelta(minutes=10)),
                                               address=Failures(20, NOW - timedelta(minutes=2)),
                                               name=Failures(7, NOW - timedelta(minutes=14))), NOW)
    assert locked.value.retry_after_s == 13 * 60


def test_a_locked_name_is_refused_with_429_and_retry_after_even_with_the_right_password(console_app) -> None:
    client = at(console_app, "10.0.0.66")  # the fixture's policy: 3 a name from an address, 5 an address, 6 a name
    assert [wrong(client) for _ in range(3)] == [401, 401, 401]
    locked = client.post("/api/login", json={"username": "operator", "password": "op-secret"})
    assert locked.status_code == 429 and locked.json()["code"] == "LOGIN_LOCKED"
    assert 0 < int(locked.headers["Retry-After"]) <= 900 and "Try again in" in locked.json()["message"]
    assert right(client, "auditor", "au-secret") == 200


def test_an_attackers_few_tries_do_not_lock_the_operator_out_at_their_own_desk(console_app) -> None:
    attacker, desk = at(console_app, "10.0.0.66"), at(console_app, "10.0.0.7")
    assert [wrong(attacker) for _ in range(4)] == [401, 401, 401, 429]
    assert right(desk) == 200


def test_a_guess_spread_over_addresses_locks_the_name_everywhere(console_app) -> None:
    for i in range(6):
        assert wrong(at(console_app, f"10.0.1.{i}")) == 401
    assert right(at(console_app, "10.0.0.7")) == 429
    assert right(at(console_app, "10.0.0.7"), "auditor", "au-secret") == 200


def test_one_address_trying_many_names_is_locked_out(console_app) -> None:
    client = at(console_app, "10.0.0.66")
    assert [wrong(client, f"name{i}") for i in range(5)] == [401] * 5
    assert right(client, "auditor", "au-secret") == 429
    assert right(at(console_app, "10.0.0.7"), "auditor", "au-secret") == 200


def test_signing_in_forgets_the_names_failures_from_its_address_only(console_app) -> None:
    desk, attacker = at(console_app, "10.0.0.7"), at(console_app, "10.0.0.66")
    assert [wrong(desk) for _ in range(2)] == [401, 401]
    assert [wrong(attacker) for _ in range(2)] == [401, 401]
    assert right(desk) == 200
    assert [wrong(desk) for _ in range(2)] == [401, 401]  # counted again from zero at the desk
    assert [wrong(attacker), wrong(attacker)] == [401, 429]  # the attacker's were not forgotten


@pytest.mark.parametrize(("base_url", "secure"), [(LOCAL, False), ("http://localhost:8100", False),
                                                 ("https://console.example", True), ("http://10.1.2.3:8100", True),
                                                 ("https://127.0.0.1:8100", True)])
def test_the_session_cookie_is_secure_but_on_plain_http_loopback(console_app, base_url: str, secure: bool) -> None:
    reply = TestClient(console_app, base_url=base_url).post(
        "/api/login", json={"username": "operator", "password": "op-secret"})
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert ("; secure" in cookie) is secure
