"""docker-compose.yml cannot run here; check what can be checked: it parses and names what exists."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from libs.settings import ServiceSettings
from deploy.launch import FOLLOWERS, command, processes
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


def settings_read_by(service: str) -> set[str]:
    module = importlib.import_module(f"services.{service}.bootstrap")
    classes = [v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings]
    return {f.alias or name.upper() for cls in classes for name, f in cls.model_fields.items()}


def test_compose_sets_only_settings_the_services_read() -> None:
    for name in SERVICES:
        assert set(compose()["services"][name]["environment"]) <= settings_read_by(name), name


def test_compose_publishes_each_service_api_on_the_port_it_listens_on() -> None:
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.bootstrap")
        [settings_class] = [v for v in vars(module).values() if isinstance(v, type)
                            and issubclass(v, ServiceSettings) and v is not ServiceSettings]
        port = settings_class.model_fields["http_port"].default
        assert compose()["services"][name]["ports"] == [f"{port}:{port}"]


def test_compose_creates_one_database_per_service() -> None:
    sql = (ROOT / "deploy" / "postgres-init.sql").read_text()
    assert all(f"CREATE DATABASE {name};" in sql for name in SERVICES)


def test_compose_kafka_has_auto_create_off_like_the_native_broker() -> None:
    env = compose()["services"]["kafka"]["environment"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    native = (ROOT / "deploy" / "kafka" / "server.properties.template").read_text()
    assert "auto.create.topics.enable=false" in native


def test_compose_serves_the_hospitals_path_before_the_followers_as_the_native_launcher_does() -> None:
    services = compose()["services"]
    for name in SERVICES:
        shares = services[name].get("cpu_shares", 1024)
        assert (shares < 1024) == (name in FOLLOWERS), name
        assert ("nice" in command(name, {})) == (name in FOLLOWERS), name
    assert "nice" not in command("enrollment", {"FOLLOWER_NICE": "0"})


def test_compose_runs_the_processes_the_native_launcher_runs() -> None:
    services = compose()["services"]
    for label, name, extra in processes({}):
        assert services[label]["command"] == ["python", "-m", f"services.{name}"]
        for key, value in extra.items():
            if not key.endswith("_HTTP_PORT"):  # containers each have their own ports
                assert services[label]["environment"][key] == value, (label, key)
