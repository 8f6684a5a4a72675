"""Guessing passwords at the console's sign-in is slowed to a few tries per user name and per address,
and the session cookie travels only over HTTPS but on `make run`'s plain-HTTP loopback address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from services.console.domain.login_throttle import Failures, LoginLocked, ThrottlePolicy, check_not_locked

LOCAL = "http://127.0.0.1:8100"
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(per_username=5, per_address=20, window=timedelta(minutes=15))


def wrong(client: TestClient, username: str = "operator") -> int:
    return client.post("/api/login", json={"username": username, "password": "guess"}).status_code


def test_the_fifth_failure_within_the_window_locks_the_name_until_the_first_leaves_it() -> None:
    check_not_locked(POLICY, Failures(4, NOW - timedelta(minutes=1)), Failures(), NOW)
    with pytest.raises(LoginLocked) as locked:
        check_not_locked(POLICY, Failures(5, NOW - timedelta(minutes=5)), Failures(), NOW)
    assert locked.value.retry_after_s == 600
    assert "Try again in 10 minutes" in str(locked.value)


def test_twenty_failures_from_one_address_lock_it_whatever_the_names() -> None:
    with pytest.raises(LoginLocked):
        check_not_locked(POLICY, Failures(0), Failures(20, NOW - timedelta(minutes=14, seconds=30)), NOW)


def test_a_locked_name_is_refused_with_429_and_retry_after_even_with_the_right_password(console_app) -> None:
    client = TestClient(console_app, base_url=LOCAL)  # the fixture's policy: 3 a name, 5 an address
    assert [wrong(client) for _ in range(3)] == [401, 401, 401]
    locked = client.post("/api/login", json={"username": "operator", "password": "op-secret"})
    assert locked.status_code == 429 and locked.json()["code"] == "LOGIN_LOCKED"
    assert 0 < int(locked.headers["Retry-After"]) <= 900 and "Try again in" in locked.json()["message"]
    assert client.post("/api/login", json={"username": "auditor", "password": "au-secret"}).status_code == 200


def test_one_address_trying_many_names_is_locked_out(console_app) -> None:
    client = TestClient(console_app, base_url=LOCAL)
    assert [wrong(client, f"name{i}") for i in range(5)] == [401] * 5
    assert client.post("/api/login", json={"username": "auditor", "password": "au-secret"}).status_code == 429


def test_signing_in_forgets_the_names_failures(console_app) -> None:
    client = TestClient(console_app, base_url=LOCAL)
    assert [wrong(client) for _ in range(2)] == [401, 401]
    assert client.post("/api/login", json={"username": "operator", "password": "op-secret"}).status_code == 200
    assert [wrong(client) for _ in range(2)] == [401, 401]  # counted again from zero


@pytest.mark.parametrize(("base_url", "secure"), [(LOCAL, False), ("http://localhost:8100", False),
                                                 ("https://console.example", True), ("http://10.1.2.3:8100", True),
                                                 ("https://127.0.0.1:8100", True)])
def test_the_session_cookie_is_secure_but_on_plain_http_loopback(console_app, base_url: str, secure: bool) -> None:
    reply = TestClient(console_app, base_url=base_url).post(
        "/api/login", json={"username": "operator", "password": "op-secret"})
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert ("; secure" in cookie) is secure
