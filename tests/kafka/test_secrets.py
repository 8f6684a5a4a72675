"""The secrets file (deploy/secrets.py) and a rotation on the real broker."""

from __future__ import annotations

import asyncio
import shutil
import stat
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from deploy import secrets
from libs.messaging.admin import apply_scram_credentials
from libs.messaging.connection import client_options
from libs.settings import KafkaCredentials, load_secrets, secrets_file


def test_ensure_writes_every_entry_once_readable_by_its_owner_alone(tmp_path: Path) -> None:
    path = tmp_path / "stack" / "secrets.env"
    added = secrets.ensure(path)
    assert added == [s.name for s in secrets.ENTRIES]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = secrets.read(path)
    assert all(len(v) >= 43 for v in first.values())  # 32 random bytes, URL-safe base64
    assert len(set(first.values())) == len(first)
    assert secrets.ensure(path) == []  # nothing missing: nothing changes
    assert secrets.read(path) == first


def test_ensure_adds_a_new_row_of_the_table_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    secrets.ensure(path)
    before = secrets.read(path)
    del before["PII_HASH_KEY"]
    secrets.write(path, {**before, "ADDED_BY_HAND": "kept"})
    assert secrets.ensure(path) == ["PII_HASH_KEY"]
    after = secrets.read(path)
    assert {k: after[k] for k in before} == before
    assert after["ADDED_BY_HAND"] == "kept"


def test_the_repository_ignores_the_secrets_file() -> None:
    root = Path(__file__).resolve().parents[2]
    assert ".stack/" in (root / ".gitignore").read_text().split()


def test_rotate_without_names_leaves_the_keys_that_protect_stored_data() -> None:
    plan = secrets.rotation_plan()
    assert "PII_ENCRYPTION_KEY" not in plan and "PII_HASH_KEY" not in plan and "GATEWAY_SECRET_KEY" not in plan
    assert "KAFKA_USER_SETTLEMENT_PASSWORD" in plan and "PG_WALLET_PASSWORD" in plan


async def can_connect(bootstrap: str, credentials: KafkaCredentials) -> bool:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **{**client_options(credentials), "request_timeout_ms": 5000})
    try:
        await asyncio.wait_for(producer.start(), 20)
        return True
    except (TimeoutError, KafkaError):
        return False
    finally:
        await producer.stop()


@pytest.mark.integration
async def test_a_rotated_kafka_password_works_at_once_and_the_old_one_no_longer(
        stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a copy of the secrets file, so the stack's own stays as it is; the principal's password on the
    broker is put back afterwards."""
    copy = tmp_path / "secrets.env"
    shutil.copy(secrets_file(), copy)
    original = load_secrets()["KAFKA_USER_CONSOLE_PASSWORD"]
    monkeypatch.setenv("SECRETS_FILE", str(copy))
    try:
        await asyncio.to_thread(secrets.rotate, ["KAFKA_USER_CONSOLE_PASSWORD"], copy)
        rotated = secrets.read(copy)["KAFKA_USER_CONSOLE_PASSWORD"]
        assert rotated != original
        assert await can_connect(stack.kafka_bootstrap, KafkaCredentials("console", rotated))
        assert not await can_connect(stack.kafka_bootstrap, KafkaCredentials("console", original))
    finally:
        monkeypatch.undo()
        await asyncio.to_thread(apply_scram_credentials, {"console": original}, bootstrap=stack.kafka_bootstrap)
    assert await can_connect(stack.kafka_bootstrap, KafkaCredentials("console", original))
