"""Settings shared by every service; each service subclasses with its own prefix and fields.

Defaults point at the native stack started by `make up` (deploy/stack.env); environment variables
override them. Settings are read once, in each service's `bootstrap`.

Kafka always authenticates (SASL/SCRAM-SHA-512; SASL_SSL where the broker has TLS): there is no
setting for an unauthenticated client. A process is its principal (`KAFKA_USERNAME`, by default the
service's name) with that principal's password (`KAFKA_PASSWORD`, by default read from the secrets file
that deploy/secrets.py writes: `load_secrets()`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


# Each service's HTTP port on one machine (`make run`); `<SERVICE>_HTTP_PORT` moves one, `<SERVICE>_URL` names
# another machine's. Every caller of a service's API reads its address here (service_url), so a stack moved to
# other ports (a second clone, a second user) calls its own services, never those of the stack on the defaults.
HTTP_PORTS = {"console": 8100, "enrollment": 8101, "settlement": 8102, "wallet": 8103, "clearing": 8104, "gateway": 8105}
PROMETHEUS_DEFAULT_PORT = 9090


def service_url(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The base URL of service `name`'s API: `<NAME>_URL`, else `http://127.0.0.1:<NAME>_HTTP_PORT` (else its
    default port)."""
    env = os.environ if environ is None else environ
    key = name.upper().replace("-", "_")
    if env.get(f"{key}_URL"):
        return env[f"{key}_URL"]
    port = env.get(f"{key}_HTTP_PORT") or HTTP_PORTS.get(name)
    if port is None:
        raise KeyError(f"no address for the service {name!r}: set {key}_URL or {key}_HTTP_PORT")
    return f"http://127.0.0.1:{port}"


def prometheus_url(environ: Mapping[str, str] | None = None) -> str:
    """`PROMETHEUS_URL`, else the native stack's Prometheus at `PROMETHEUS_PORT` (deploy/prometheus.sh)."""
    env = os.environ if environ is None else environ
    return env.get("PROMETHEUS_URL") or f"http://127.0.0.1:{env.get('PROMETHEUS_PORT') or PROMETHEUS_DEFAULT_PORT}"


class MissingSecret(LookupError):
    """A secret the process needs is not in the secrets file (or there is no file)."""


def secrets_file() -> Path:
    """`$SECRETS_FILE`, else `$STACK_DIR/secrets.env`, else `<repo>/.stack/secrets.env`."""
    if os.environ.get("SECRETS_FILE"):
        return Path(os.environ["SECRETS_FILE"])
    stack = os.environ.get("STACK_DIR")
    return (Path(stack) if stack else ROOT / ".stack") / "secrets.env"


_cache: dict[Path, tuple[float, dict[str, str]]] = {}


def load_secrets() -> dict[str, str]:
    """The secrets file's `NAME=value` entries (read again when the file changes, e.g. a rotation)."""
    path = secrets_file()
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return {}
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        entries = {}
        for line in path.read_text().splitlines():
            name, sep, value = line.strip().partition("=")
            if sep and not name.startswith("#"):
                entries[name.strip()] = value.strip()
        _cache[path] = cached = (mtime, entries)
    return dict(cached[1])


def secret(name: str) -> str:
    value = load_secrets().get(name)
    if not value:
        raise MissingSecret(f"{name} is not in {secrets_file()}: run `make up` (or `python -m deploy.secrets ensure`), "
                            "or point SECRETS_FILE at the secrets file of the stack you use")
    return value


def kafka_password_of(principal: str) -> str:
    return secret(f"KAFKA_USER_{principal.upper()}_PASSWORD")


SecurityProtocol = Literal["SASL_PLAINTEXT", "SASL_SSL"]  # no PLAINTEXT: authentication cannot be turned off
SaslMechanism = Literal["SCRAM-SHA-512"]


@dataclass(frozen=True)
class KafkaCredentials:
    username: str
    password: str
    security_protocol: SecurityProtocol = "SASL_PLAINTEXT"
    mechanism: SaslMechanism = "SCRAM-SHA-512"
    ca_file: str | None = None  # SASL_SSL: the CA that signed the broker's certificate

    def __repr__(self) -> str:  # never print a password
        return f"KafkaCredentials(username={self.username!r}, security_protocol={self.security_protocol!r})"

    @classmethod
    def of(cls, principal: str) -> KafkaCredentials:
        """`principal` with its password from the secrets file (tests, tools acting as a principal)."""
        s = StackSettings()
        return cls(principal, kafka_password_of(principal), s.kafka_security_protocol, s.kafka_sasl_mechanism,
                   s.kafka_ca_file)


def pg_password(role: str) -> str:
    """The role's `PG_<ROLE>_PASSWORD` (empty when absent, so the server's refusal names the role)."""
    return load_secrets().get(f"PG_{role.upper()}_PASSWORD", "")


class StackSettings(BaseSettings):
    """Where Kafka and Postgres are (the same variables the deploy scripts and tests use)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    kafka_bootstrap: str = Field(default="127.0.0.1:19092", alias="KAFKA_BOOTSTRAP")
    kafka_username: str | None = Field(default=None, alias="KAFKA_USERNAME")
    kafka_password: SecretStr | None = Field(default=None, alias="KAFKA_PASSWORD")
    kafka_security_protocol: SecurityProtocol = Field(default="SASL_PLAINTEXT", alias="KAFKA_SECURITY_PROTOCOL")
    kafka_sasl_mechanism: SaslMechanism = Field(default="SCRAM-SHA-512", alias="KAFKA_SASL_MECHANISM")
    kafka_ca_file: str | None = Field(default=None, alias="KAFKA_CA_FILE")
    # Where the generated passwords are (read by load_secrets() itself; here so that it is a known setting).
    secrets_file: str | None = Field(default=None, alias="SECRETS_FILE")
    # The issuer whose key this process signs its tokens with (read by libs/auth/keys.py itself; here so that
    # it is a known setting): the console, the gateway and clearing; none for the platform's tools.
    auth_issuer: str | None = Field(default=None, alias="AUTH_ISSUER")
    pghost: str = Field(default="127.0.0.1", alias="PGHOST")
    pgport: int = Field(default=54329, alias="PGPORT")
    # The administration role by default (tools, tests); a service connects as its own role (ServiceSettings).
    # An empty PGPASSWORD: the role's PG_<ROLE>_PASSWORD in the secrets file (docs/database-roles.md).
    pguser: str = Field(default="owner", alias="PGUSER")
    pgpassword: str = Field(default="", alias="PGPASSWORD", repr=False)
    # Namespaces, so a test run (or a second environment) can share a broker and a server.
    topic_prefix: str = Field(default="", alias="TOPIC_PREFIX")
    db_prefix: str = Field(default="", alias="DB_PREFIX")

    def kafka_credentials(self, default_principal: str) -> KafkaCredentials:
        """`KAFKA_USERNAME` (else `default_principal`) and `KAFKA_PASSWORD` (else its secret)."""
        username = self.kafka_username or default_principal
        if self.kafka_password is not None and self.kafka_password.get_secret_value() and self.kafka_username:
            password = self.kafka_password.get_secret_value()
        else:
            password = kafka_password_of(username)
        return KafkaCredentials(username, password, self.kafka_security_protocol, self.kafka_sasl_mechanism,
                                self.kafka_ca_file)

    def dsn(self, database: str, user: str | None = None) -> str:
        """A connection to `database` as `user` (default PGUSER, else the administration role `owner`)."""
        user = user or self.pguser or "owner"
        password = self.pgpassword if user == self.pguser and self.pgpassword else pg_password(user)
        return f"postgresql://{user}:{password}@{self.pghost}:{self.pgport}/{database}"


class ServiceSettings(StackSettings):
    """Knobs every service has; `service_name` doubles as database name and consumer group."""

    service_name: str
    database: str = ""
    pguser: str = Field(default="", alias="PGUSER")  # empty: the service's own role (its name)
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    batch_max_records: int = Field(default=500, alias="BATCH_MAX_RECORDS")
    batch_timeout_ms: int = Field(default=20, alias="BATCH_TIMEOUT_MS")
    follower_linger_ms: int = Field(default=250, alias="FOLLOWER_LINGER_MS")
    # Which of the service's subscriptions this process runs (topic names, comma-separated; empty: all),
    # so a hot consumer can have a process, an event loop and a core of its own (deploy/launch.py).
    consume_only: str = Field(default="", alias="CONSUME_ONLY")
    consume_except: str = Field(default="", alias="CONSUME_EXCEPT")
    inbox_retention_days: int = Field(default=14, ge=8, alias="INBOX_RETENTION_DAYS")  # > Kafka's 7 days
    inbox_purge_every_s: float = Field(default=300.0, gt=0, alias="INBOX_PURGE_EVERY_S")
    pool_max_size: int = Field(default=8, alias="PG_POOL_MAX")
    http_host: str = Field(default="127.0.0.1", alias="HTTP_HOST")
    http_port: int | None = None  # each service sets its own default; None serves no HTTP

    @property
    def kafka(self) -> KafkaCredentials:
        """The service's own principal (its name) unless `KAFKA_USERNAME` says otherwise."""
        return self.kafka_credentials(self.service_name)

    @property
    def database_dsn(self) -> str:
        return self.dsn(self.db_prefix + (self.database or self.service_name), self.pguser or self.service_name)
