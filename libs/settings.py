"""Settings shared by every service; each service subclasses with its own prefix and fields.

Defaults point at the native stack started by `make up` (deploy/stack.env); environment variables
override them. Settings are read once, in each service's `bootstrap`.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.db.credentials import pg_password


class StackSettings(BaseSettings):
    """Where Kafka and Postgres are (the same variables the deploy scripts and tests use)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    kafka_bootstrap: str = Field(default="127.0.0.1:19092", alias="KAFKA_BOOTSTRAP")
    # Where the generated passwords are (read by load_secrets() itself; here so that it is a known setting).
    secrets_file: str | None = Field(default=None, alias="SECRETS_FILE")
    pghost: str = Field(default="127.0.0.1", alias="PGHOST")
    pgport: int = Field(default=54329, alias="PGPORT")
    # The administration role by default (tools, tests); a service connects as its own role (ServiceSettings).
    # An empty PGPASSWORD: the role's PG_<ROLE>_PASSWORD in the secrets file (docs/database-roles.md).
    pguser: str = Field(default="owner", alias="PGUSER")
    pgpassword: str = Field(default="", alias="PGPASSWORD", repr=False)
    # Namespaces, so a test run (or a second environment) can share a broker and a server.
    topic_prefix: str = Field(default="", alias="TOPIC_PREFIX")
    db_prefix: str = Field(default="", alias="DB_PREFIX")

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
    def database_dsn(self) -> str:
        return self.dsn(self.db_prefix + (self.database or self.service_name), self.pguser or self.service_name)
