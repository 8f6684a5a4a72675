"""docker-compose.yml cannot run here; check what can be checked: it parses and names what exists."""

from __future__ import annotations

from pathlib import Path

import yaml

from libs.settings import StackSettings
from tests.support.stack import SERVICES

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_service_as_its_own_container() -> None:
    services = compose()["services"]
    for name in SERVICES:
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]
        assert (ROOT / "services" / name / "__main__.py").exists()


def test_compose_creates_the_topics_with_the_same_admin_module_as_the_native_stack() -> None:
    topics = compose()["services"]["topics"]
    assert topics["command"] == ["python", "-m", "libs.messaging.admin"]
    assert (ROOT / "libs" / "messaging" / "admin.py").exists()


def test_compose_sets_only_settings_the_services_read() -> None:
    known = {field.alias for field in StackSettings.model_fields.values()} | {"LOG_LEVEL"}
    for name in SERVICES:
        assert set(compose()["services"][name]["environment"]) <= known


def test_compose_creates_one_database_per_service() -> None:
    sql = (ROOT / "deploy" / "postgres-init.sql").read_text()
    assert all(f"CREATE DATABASE {name};" in sql for name in SERVICES)


def test_compose_kafka_has_auto_create_off_like_the_native_broker() -> None:
    env = compose()["services"]["kafka"]["environment"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    native = (ROOT / "deploy" / "kafka" / "server.properties.template").read_text()
    assert "auto.create.topics.enable=false" in native
