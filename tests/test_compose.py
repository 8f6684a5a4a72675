"""docker-compose.yml cannot run here; check what can be checked: it parses and names what exists."""

from __future__ import annotations

import importlib
import os
import subprocess
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


def test_compose_kafka_runs_the_native_brokers_configuration_with_authentication(tmp_path: Path) -> None:
    """compose's Kafka renders deploy/kafka/server.properties.template (auto-create off, SASL/SCRAM,
    the StandardAuthorizer) with the admin password of the mounted secrets file: the entrypoint run
    here with stand-ins for the image's paths and Kafka's scripts."""
    kafka = compose()["services"]["kafka"]
    assert kafka["entrypoint"] == ["/bin/sh", "/platform/kafka/compose-entrypoint.sh"]
    assert "./deploy/kafka:/platform/kafka:ro" in kafka["volumes"] and kafka["secrets"] == ["platform"]
    assert compose()["secrets"]["platform"]["file"] == "./.stack/secrets.env"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for script in ("kafka-storage.sh", "kafka-server-start.sh"):
        (bin_dir / script).write_text(f'#!/bin/sh\necho "{script} $*" >> "{tmp_path}/calls"\n')
        (bin_dir / script).chmod(0o755)
    (tmp_path / "secrets.env").write_text("KAFKA_USER_ADMIN_PASSWORD=s3cret-Adm1n\n")
    env = {"PATH": os.environ["PATH"], "SECRETS": str(tmp_path / "secrets.env"), "DATA": str(tmp_path / "data"),
           "TEMPLATE": str(ROOT / "deploy" / "kafka" / "server.properties.template"),
           "CONF": str(tmp_path / "server.properties"), "ADMIN_PROPS": str(tmp_path / "admin.properties"),
           "KAFKA_BIN": str(bin_dir), "KAFKA_HOST_LISTENER": "localhost:19092"}
    subprocess.run(["/bin/sh", str(ROOT / "deploy" / "kafka" / "compose-entrypoint.sh")], env=env, check=True)
    conf = (tmp_path / "server.properties").read_text()
    for line in ("auto.create.topics.enable=false", "allow.everyone.if.no.acl.found=false", "super.users=User:admin",
                 "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                 "sasl.enabled.mechanisms=SCRAM-SHA-512",
                 "listener.security.protocol.map=BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT",
                 "advertised.listeners=BROKER://kafka:9092,HOST://localhost:19092"):
        assert line in conf.splitlines(), line
    assert "{{" not in "".join(l for l in conf.splitlines() if not l.startswith("#")) and 'password="s3cret-Adm1n"' in conf
    calls = (tmp_path / "calls").read_text()
    assert "--add-scram SCRAM-SHA-512=[name=admin,password=s3cret-Adm1n]" in calls
    assert f"kafka-server-start.sh {tmp_path / 'server.properties'}" in calls


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
