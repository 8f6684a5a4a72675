"""Each container's share of the secrets file (libs/secret_shares.py, docker-compose.yml's `secrets` one-shot):
what each may read, and that with its share alone each service can still do its work."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.secrets import ENTRIES, KAFKA_PRINCIPALS, PG_ROLES
from libs.auth import AuthError, Principal, Role, issue_token, verify_token
from libs.auth.keys import KeysMissing, current_keys
from libs.secret_shares import CONSUMERS, ISSUERS, SERVICES, read, share, write_shares

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.env"
    subprocess.run([sys.executable, str(ROOT / "deploy" / "secrets.py"), "ensure"], check=True, capture_output=True,
                   env={**os.environ, "SECRETS_FILE": str(path)})
    return path


@pytest.fixture
def shares(secrets_file: Path, tmp_path: Path) -> dict[str, Path]:
    return write_shares(secrets_file, tmp_path / "shares")


def test_every_secret_of_the_platform_is_given_to_someone_and_the_platform_key_to_no_container(
        secrets_file: Path) -> None:
    values = read(secrets_file)
    given = {name for consumer in CONSUMERS for name in share(consumer, values)}
    assert {e.name for e in ENTRIES} - {"AUTH_SIGNING_KEY"} <= given
    assert "AUTH_SIGNING_KEY" not in given  # any role's tokens: the host's tools alone (make token)


def test_a_service_reads_its_own_passwords_and_no_other_principals(secrets_file: Path) -> None:
    values = read(secrets_file)
    for service in SERVICES:
        own = share(service, values)
        kafka = {n for n in own if n.startswith("KAFKA_USER_")}
        postgres = {n for n in own if n.startswith("PG_")}
        assert kafka == {f"KAFKA_USER_{service.upper()}_PASSWORD"}, service
        assert postgres == {f"PG_{service.upper()}_PASSWORD"}, service
        assert own[kafka.pop()] == values[f"KAFKA_USER_{service.upper()}_PASSWORD"]


def test_only_the_token_issuers_can_mint_tokens_and_every_service_can_check_them(secrets_file: Path) -> None:
    values = read(secrets_file)
    for service in SERVICES:
        own = share(service, values)
        signing = {n for n in own if n.startswith("AUTH_ISSUER_KEY_") or n == "AUTH_SIGNING_KEY"}
        assert signing == ({f"AUTH_ISSUER_KEY_{service.upper()}"} if service in ISSUERS else set()), service
        assert own["AUTH_VERIFY_KEY"], service
        assert {n for n in own if n.startswith("AUTH_ISSUER_PUBLIC_")} == {
            f"AUTH_ISSUER_PUBLIC_{i.upper()}" for i in ISSUERS}, service
    assert "PII_ENCRYPTION_KEY" in share("enrollment", values)
    assert not any("PII_ENCRYPTION_KEY" in share(s, values) for s in SERVICES if s != "enrollment")
    assert {n for n in share("console", values) if n.startswith("CONSOLE_")} == {
        "CONSOLE_OPERATOR_PASSWORD", "CONSOLE_AUDITOR_PASSWORD", "CONSOLE_CLEARING_DESK_PASSWORD"}
    assert not any(n.startswith("CONSOLE_") for s in SERVICES if s != "console" for n in share(s, values))


def test_the_broker_the_admin_tool_and_the_database_get_what_they_set_up(secrets_file: Path) -> None:
    values = read(secrets_file)
    assert set(share("kafka", values)) == {"KAFKA_USER_ADMIN_PASSWORD"}
    assert set(share("admin", values)) == {f"KAFKA_USER_{p.upper()}_PASSWORD" for p in KAFKA_PRINCIPALS}
    postgres = share("postgres", values)
    assert set(postgres) == {f"PG_{r.upper()}_PASSWORD" for r in PG_ROLES}


def test_each_share_is_written_for_its_reader_alone(shares: dict[str, Path]) -> None:
    for consumer, path in shares.items():
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o444 if consumer == "kafka" else 0o400), consumer
        if os.geteuid() == 0:
            assert path.stat().st_uid == {"postgres": 999, "kafka": 0}.get(consumer, 10001), consumer
        assert not list(path.parent.glob(".platform-*"))  # written whole, then renamed


def test_with_its_share_alone_a_service_checks_tokens_and_an_issuer_grants_only_its_scope(
        shares: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTH_SIGNING_KEY", "AUTH_VERIFY_KEY", "AUTH_ISSUER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRETS_FILE", str(shares["console"]))
    monkeypatch.setenv("AUTH_ISSUER", "console")
    operator = issue_token(Principal("operator-1", Role.operator), ttl_s=60)
    monkeypatch.setenv("SECRETS_FILE", str(shares["gateway"]))
    monkeypatch.setenv("AUTH_ISSUER", "gateway")
    forged = issue_token(Principal("operator-2", Role.operator), ttl_s=60)  # signed, but not the gateway's to grant
    own = issue_token(Principal("gateway", Role.service), ttl_s=60)
    monkeypatch.setenv("SECRETS_FILE", str(shares["wallet"]))
    monkeypatch.delenv("AUTH_ISSUER")
    assert verify_token(operator, keys=current_keys()).subject == "operator-1"
    assert verify_token(own, keys=current_keys()).subject == "gateway"
    with pytest.raises(AuthError, match="gateway service, which may not grant operator"):
        verify_token(forged, keys=current_keys())
    with pytest.raises(KeysMissing):
        issue_token(Principal("operator-3", Role.operator), ttl_s=60)  # the wallet mints nothing


def test_the_one_shot_refuses_to_start_without_the_secrets_file(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "libs.secret_shares", str(tmp_path / "absent"), str(tmp_path / "s")],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and "make secrets" in done.stderr


def test_the_key_sealing_the_hospitals_app_secrets_is_the_gateways_alone(secrets_file: Path) -> None:
    values = read(secrets_file)
    holders = {consumer for consumer in CONSUMERS if "GATEWAY_SECRET_KEY" in share(consumer, values)}
    assert holders == {"gateway"}
