"""Signing in to the console, and what each role may do once signed in."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.console.domain.operators import ActionForbidden, LoginRefused, check_login, check_may
from services.console.tests.unit.conftest import USERS

LOCAL = "http://127.0.0.1:8100"  # `make run`'s address: plain HTTP on loopback, the session cookie without Secure


def test_a_known_user_with_the_right_password_signs_in() -> None:
    assert check_login(USERS, "operator", "op-secret").role == "operator"


@pytest.mark.parametrize(("user", "password"), [("operator", "wrong"), ("nobody", "op-secret"), ("operator", "")])
def test_a_wrong_name_or_password_is_refused_without_saying_which(user: str, password: str) -> None:
    with pytest.raises(LoginRefused):
        check_login(USERS, user, password)


def test_an_auditor_may_act_on_nothing_and_the_clearing_desk_only_on_clearing() -> None:
    for action in ("dead_letter.replay", "dead_letter.discard", "clearing.close", "clearing.reconcile"):
        with pytest.raises(ActionForbidden):
            check_may("auditor", action)
    check_may("clearing_desk", "clearing.close")
    with pytest.raises(ActionForbidden):
        check_may("clearing_desk", "dead_letter.replay")


def test_closing_a_cycle_is_the_clearing_desks_as_in_clearings_own_role_table() -> None:
    with pytest.raises(ActionForbidden):
        check_may("operator", "clearing.close")


def test_pages_need_a_session_and_the_login_sets_one(console_app) -> None:
    client = TestClient(console_app, base_url=LOCAL)
    assert client.get("/api/overview").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.post("/api/login", json={"username": "operator", "password": "nope"}).status_code == 401
    signed = client.post("/api/login", json={"username": "operator", "password": "op-secret"})
    assert signed.status_code == 200 and "httponly" in signed.headers["set-cookie"].lower()
    assert "samesite=strict" in signed.headers["set-cookie"].lower()
    assert client.get("/api/me").json()["may"] == ["dead_letter.discard", "dead_letter.replay"]


def test_an_operators_replay_goes_to_the_service_with_the_operators_own_token_and_is_audited(
        console_app, console_parts) -> None:
    services, pool = console_parts
    client = TestClient(console_app, base_url=LOCAL)
    client.post("/api/login", json={"username": "operator", "password": "op-secret"})
    reply = client.post("/api/dead-letters/settlement/7/replay", json={"note": "fixed"})
    assert reply.status_code == 200
    service, method, path, token = services.calls[0]
    assert (service, method, path) == ("settlement", "POST", "/v1/dead-letters/7/replay")
    assert token == client.cookies.get("console_token")
    actor, role, action, target, note, status, _ = pool.rows[0]
    assert (actor, role, action, target, note, status) == (
        "operator", "operator", "dead_letter.replay", "settlement/dead-letters/7", "fixed", 200)


def test_an_auditors_replay_is_refused_before_any_service_is_asked(console_app, console_parts) -> None:
    services, pool = console_parts
    client = TestClient(console_app, base_url=LOCAL)
    client.post("/api/login", json={"username": "auditor", "password": "au-secret"})
    assert client.post("/api/dead-letters/settlement/7/replay", json={"note": "x"}).status_code == 403
    assert client.post("/api/clearing/cycles/national/2026-06-01/close").status_code == 403
    assert services.calls == [] and pool.rows == []
