"""docker-compose.yml and the image cannot run here; check what can be checked without Docker.

The file is valid by the Compose Specification's own JSON schema (tests/compose/), and every service,
command, port, variable, topic, role and image it names is checked against the code and the native stack.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from deploy.launch import FOLLOWERS, command, processes
from libs.contracts.topics import ALL_TOPICS
from libs.secret_shares import CONSUMERS
from libs.settings import ServiceSettings
from tests.support.stack import SERVICES

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def services() -> dict[str, Any]:
    return compose()["services"]


def scripts() -> dict[str, str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"services.{service}.bootstrap")
    [found] = [v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings]
    return found


def native_default(name: str) -> str:
    """A default of deploy/stack.env (`NAME=${NAME:-default}`)."""
    match = re.search(rf"^{name}=\$\{{{name}:-([^}}]*)\}}$", (ROOT / "deploy" / "stack.env").read_text(), re.M)
    assert match, name
    return match.group(1)


def roles_of_the_stack() -> tuple[str, list[str]]:
    """ADMIN_ROLE and DATABASES of deploy/postgres-roles.sh, the roles both stacks create."""
    out = subprocess.run(["bash", "-c", '. deploy/postgres-roles.sh && echo "$ADMIN_ROLE" && echo "${DATABASES[*]}"'],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    return out[0], out[1].split()


def test_compose_file_is_valid_by_the_compose_specification_schema() -> None:
    schema = json.loads((ROOT / "tests" / "compose" / "compose-spec.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose()), key=str)
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_the_schema_check_would_catch_a_mistake() -> None:
    broken = compose()
    broken["services"]["topics"]["depends_on"]["kafka"]["condition"] = "service_ready"
    broken["services"]["kafka"]["restart_policy"] = "always"
    schema = json.loads((ROOT / "tests" / "compose" / "compose-spec.json").read_text())
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) == 2


def test_compose_runs_every_service_as_its_own_container_with_its_installed_command() -> None:
    for name in SERVICES:
        assert services()[name]["command"] == [f"medins-{name}"]
        assert scripts()[f"medins-{name}"] == f"libs.console_scripts:{name}"
        assert (ROOT / "services" / name / "__main__.py").exists()


def test_compose_creates_the_topics_with_the_same_admin_module_as_the_native_stack() -> None:
    topics = services()["topics"]
    assert topics["command"] == ["medins-admin"]
    assert scripts()["medins-admin"] == "libs.console_scripts:admin"
    assert "libs.messaging import admin" in (ROOT / "libs" / "console_scripts.py").read_text()


def test_compose_sets_only_settings_the_services_read() -> None:
    for name in SERVICES:
        cls = settings_class(name)
        read = {f.alias or field.upper() for field, f in cls.model_fields.items()}
        assert set(services()[name]["environment"]) <= read, name


def test_compose_publishes_each_service_api_on_the_port_it_listens_on_and_on_loopback_only() -> None:
    for name in SERVICES:
        port = settings_class(name).model_fields["http_port"].default
        assert services()[name]["ports"] == [f"127.0.0.1:{port}:{port}"]


def test_every_published_port_is_bound_to_the_loopback_address() -> None:
    for name, service in services().items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_host_tools_reach_kafka_and_postgres_at_the_native_stacks_addresses() -> None:
    kafka, postgres = services()["kafka"], services()["postgres"]
    host, _, port = native_default("KAFKA_BOOTSTRAP").rpartition(":")
    assert kafka["environment"]["KAFKA_HOST_LISTENER"] == f"{host}:{port}"  # advertised so (the entrypoint's test)
    assert f"{host}:{port}:{port}" in kafka["ports"]
    assert postgres["ports"] == [f"127.0.0.1:{native_default('PGPORT')}:5432"]
    assert services()["enrollment"]["environment"]["KAFKA_BOOTSTRAP"] == "kafka:9092"  # the broker listener


def test_each_service_connects_to_postgres_as_its_own_role_with_its_own_secret() -> None:
    _, databases = roles_of_the_stack()
    for label, name, extra in processes({}):
        service = services()[label]
        assert service["environment"]["PGUSER"] == extra["PGUSER"] == name and name in databases, label
        assert service["environment"]["PGPASSWORD"] == extra["PGPASSWORD"] == "", label  # from the secrets file
        assert service["environment"]["SECRETS_FILE"] == "/run/platform/platform"
        assert service["volumes"] == [f"secrets-{name}:/run/platform:ro"], label  # its own share, and no other
    postgres = services()["postgres"]
    assert postgres["environment"]["SECRETS_FILE"] == postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/platform/platform"
    assert "secrets-postgres:/run/platform:ro" in postgres["volumes"]
    assert postgres["environment"]["PG_DOCKER_INIT"] == "1"
    assert "./deploy/postgres-roles.sh:/docker-entrypoint-initdb.d/10-roles.sh:ro" in postgres["volumes"]


def waits_for(label: str) -> set[str]:
    """Every service `label` starts after, through its depends_on, transitively."""
    found: set[str] = set()
    todo = list(services()[label].get("depends_on", {}))
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(services()[name].get("depends_on", {}))
    return found


def test_only_the_one_shot_secrets_container_reads_the_secrets_file_and_every_reader_waits_for_it() -> None:
    """Compose ignores a file secret's uid/gid/mode (a bind mount): the `secrets` one-shot, as root, hands each
    container its share in a volume of its own (libs/secret_shares.py), before any of them starts."""
    assert compose()["secrets"]["platform"] == {"file": "./.stack/secrets.env"}
    one_shot = services()["secrets"]
    assert one_shot["secrets"] == ["platform"] and one_shot["user"] == "0:0" and one_shot["network_mode"] == "none"
    assert one_shot["command"] == ["python", "-m", "libs.secret_shares", "/run/secrets/platform", "/shares"]
    shares = {mount.split(":")[0]: mount.split(":")[1] for mount in one_shot["volumes"]}
    assert shares == {f"secrets-{c}": f"/shares/{c}" for c in CONSUMERS}
    readers = {label: service for label, service in services().items() if label != "secrets"}
    for label, service in readers.items():
        assert "secrets" not in service, label  # the file itself: the one-shot's alone
        mounted = [v for v in service.get("volumes", []) if str(v).startswith("secrets-")]
        if not mounted:
            continue
        assert len(mounted) == 1 and mounted[0].endswith(":/run/platform:ro"), label
        assert "secrets" in waits_for(label), label  # directly, or through the broker or the database
    assert services()["kafka"]["depends_on"]["secrets"] == {"condition": "service_completed_successfully"}
    assert services()["postgres"]["depends_on"]["secrets"] == {"condition": "service_completed_successfully"}
    for name in CONSUMERS:
        assert f"secrets-{name}" in compose()["volumes"], name


def test_postgres_init_script_creates_the_roles_from_the_mounted_secrets_file(tmp_path: Path) -> None:
    """The image's first start, with a stand-in psql that records what it is given."""
    admin, databases = roles_of_the_stack()
    secrets = tmp_path / "secrets.env"
    secrets.write_text("".join(f"PG_{role.upper()}_PASSWORD=pw-{role}\n" for role in (admin, *databases)))
    (tmp_path / "psql").write_text(f'#!/bin/sh\necho "psql $*" >> {tmp_path}/calls\ncat >> {tmp_path}/calls\n')
    (tmp_path / "psql").chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "PG_DOCKER_INIT": "1", "SECRETS_FILE": str(secrets),
           "POSTGRES_USER": "postgres"}
    subprocess.run(["bash", str(ROOT / "deploy" / "postgres-roles.sh")], env=env, check=True, cwd=tmp_path)
    calls = (tmp_path / "calls").read_text()
    for role in (admin, *databases):
        assert f"\\set pass_{role} 'pw-{role}'" in calls
    assert "CREATE DATABASE %I OWNER %I" in calls and "REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC" in calls
    assert 'ALTER ROLE "postgres" PASSWORD NULL' in calls


def test_no_password_is_written_in_the_compose_file() -> None:
    for name, service in services().items():
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key:
                assert value == "" or key.endswith("_FILE"), (name, key)


def test_the_topics_compose_names_are_the_platforms() -> None:
    names = {t.name for t in ALL_TOPICS}
    for label, service in services().items():
        env = service.get("environment") or {}
        for key in ("CONSUME_ONLY", "CONSUME_EXCEPT"):
            for topic in filter(None, str(env.get(key, "")).split(",")):
                assert topic in names, (label, topic)


def test_compose_kafka_runs_the_native_brokers_configuration_with_authentication(tmp_path: Path) -> None:
    """compose's Kafka renders deploy/kafka/server.properties.template (auto-create off, SASL/SCRAM,
    the StandardAuthorizer) with the admin password of the mounted secrets file: the entrypoint run
    here with stand-ins for the image's paths and Kafka's scripts."""
    kafka = compose()["services"]["kafka"]
    assert kafka["entrypoint"] == ["/bin/sh", "/platform/kafka/compose-entrypoint.sh"]
    assert "./deploy/kafka:/platform/kafka:ro" in kafka["volumes"] and "secrets-kafka:/run/platform:ro" in kafka["volumes"]
    assert kafka["environment"]["SECRETS"] == "/run/platform/platform"  # its share: the admin's password
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
    assert "{{" not in "".join(kept for kept in conf.splitlines() if not kept.startswith("#")) and 'password="s3cret-Adm1n"' in conf
    calls = (tmp_path / "calls").read_text()
    assert "--add-scram SCRAM-SHA-512=[name=admin,password=s3cret-Adm1n]" in calls
    assert f"kafka-server-start.sh {tmp_path / 'server.properties'}" in calls


def kafka_version_of_the_native_stack() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", (ROOT / "deploy" / "kafka" / "pom.xml").read_text())
    assert match
    return match.group(1)


def test_compose_runs_the_kafka_release_the_native_stack_runs() -> None:
    assert services()["kafka"]["image"] == f"apache/kafka:{kafka_version_of_the_native_stack()}"


def test_the_testcontainers_path_runs_composes_own_kafka_and_postgres() -> None:
    """Where Docker answers, the tests start docker-compose.yml's services (so its pinned release of the
    native stack's Kafka, checked above), not an image of their own."""
    source = (ROOT / "tests" / "support" / "stack.py").read_text()
    assert 'DockerCompose(ROOT, services=["kafka", "postgres"]' in source and "image" not in source.split("def _compose")[1]
    assert services()["kafka"]["image"] == f"apache/kafka:{kafka_version_of_the_native_stack()}"
    host_kafka = services()["kafka"]["ports"][0].split(":", 1)[1].split(":")[0]
    assert f'"KAFKA_BOOTSTRAP": "127.0.0.1:{host_kafka}"' in source


def test_images_are_pinned_to_a_release_and_postgres_to_the_native_major_version() -> None:
    image = services()["postgres"]["image"]
    assert re.fullmatch(r"postgres:(\d+)\.(\d+)-bookworm", image), image
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if installed:
        assert image.split(":")[1].split(".")[0] == installed[-1].parts[-3]
    for name, service in services().items():
        if "image" in service and "build" not in service:
            assert re.search(r":v?\d+\.\d+\.\d+|:\d+\.\d+-", service["image"]), (name, service["image"])


def test_healthchecks_gate_the_services_on_a_ready_broker_and_database() -> None:
    kafka, postgres = services()["kafka"], services()["postgres"]
    assert "kafka-broker-api-versions" in " ".join(kafka["healthcheck"]["test"])
    # TCP: the image's first start runs its init scripts on a socket-only server, so this means "roles made".
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"] and "127.0.0.1" in postgres["healthcheck"]["test"]
    for label, _, _ in processes({}):
        assert services()[label]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services()[label]["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert services()["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_the_data_lives_in_named_volumes() -> None:
    volumes = compose()["volumes"]
    assert "kafka-data:/var/lib/kafka/data" in services()["kafka"]["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in services()["postgres"]["volumes"]
    assert set(volumes) == {"kafka-data", "postgres-data", *(f"secrets-{c}" for c in CONSUMERS)}


def test_the_image_is_built_in_two_stages_and_runs_as_an_unprivileged_user_with_runtime_dependencies_only() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert len(stages) == 2 and all(re.fullmatch(r"python:\d+\.\d+\.\d+-slim-bookworm", s) for s in stages)
    final = dockerfile.split("\nFROM ")[-1]
    assert re.search(r"^USER medins", final, re.M) and "COPY --from=build /opt/medins /opt/medins" in final
    assert "pip install -c constraints.txt ." in dockerfile and "requirements-dev" not in dockerfile.split("COPY libs")[1]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".stack", "tests", "**/tests"} <= set(ignored)


def test_compose_serves_the_hospitals_path_before_the_followers_as_the_native_launcher_does() -> None:
    for name in SERVICES:
        shares = services()[name].get("cpu_shares", 1024)
        assert (shares < 1024) == (name in FOLLOWERS), name
        assert ("nice" in command(name, {})) == (name in FOLLOWERS), name
    assert "nice" not in command("enrollment", {"FOLLOWER_NICE": "0"})


def test_compose_runs_the_processes_the_native_launcher_runs() -> None:
    for label, name, extra in processes({}):
        assert services()[label]["command"] == [f"medins-{name}"]
        for key, value in extra.items():
            if not key.endswith("_HTTP_PORT"):  # containers each have their own ports
                assert services()[label]["environment"][key] == value, (label, key)


def test_every_address_a_service_reads_is_set_to_a_compose_service_at_the_port_it_listens_on() -> None:
    """In a container 127.0.0.1 is the container itself: each `*_URL` a service reads (the services it calls,
    the console's Prometheus) names another container, at the port that container listens on."""
    listening = {name: settings_class(name).model_fields["http_port"].default for name in SERVICES}
    listening["prometheus"] = 9090  # the image's own port (prometheus.compose.yml scrapes it there too)
    for name in SERVICES:
        urls = {f.alias for f in settings_class(name).model_fields.values() if f.alias and f.alias.endswith("_URL")}
        environment = services()[name]["environment"]
        assert urls <= set(environment), (name, urls - set(environment))
        for key in urls:
            match = re.fullmatch(r"http://([a-z-]+):(\d+)", environment[key])
            assert match and match.group(1) in services(), (name, key, environment[key])
            assert int(match.group(2)) == listening[match.group(1)], (name, key, environment[key])


def test_compose_runs_the_prometheus_release_the_native_stack_runs() -> None:
    """Debian's package (deploy/prometheus.sh) where it is installed: the image is the same release."""
    image = services()["prometheus"]["image"]
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", image), image
    try:
        banner = subprocess.run(["prometheus", "--version"], capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        return
    native = re.search(r"version (\d+\.\d+\.\d+)", banner)
    assert native and image == f"prom/prometheus:v{native.group(1)}", (image, banner.splitlines()[0])
