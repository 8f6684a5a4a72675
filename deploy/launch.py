"""How the services are started as processes, shared by `make run` (deploy/run_services.py), the
end-to-end tests and the benchmark (tests/support/processes.py).

- `SERVICE_INSTANCES` ("settlement=2,wallet=2"): how many processes of a service; they share its
  consumer groups, so each consumes some of the partitions (six a topic). A further process serves
  HTTP on any free port (`<SERVICE>_HTTP_PORT=0`): put a load balancer in front if you need it.
- `SPLIT_CONSUMERS` (default "settlement:wallet.payments"; empty: none): a service's subscription
  run by a process of its own (`CONSUME_ONLY` there, `CONSUME_EXCEPT` in the service's other
  processes). A claim goes through settlement twice (submitted, then paid); in one event loop each
  of the two hops' batches waited for the other's, so the wallet's answers get their own process,
  and with it a core when one is free (docs/performance.md).
- **Followers run at a lower CPU priority** (`FOLLOWER_NICE`, default 10; 0 turns it off):
  enrollment and clearing only follow the hospital's path (outcomes, office commands, snapshots), so
  when the machine is busy the processes a hospital is waiting for are served first, and the
  followers catch up in the gaps (their lag is reported by `make bench`). docker-compose.yml gives
  them a quarter of the CPU shares for the same reason. Measured: docs/performance.md.
- **Each process is its service's Kafka principal** (`KAFKA_USERNAME=<service>`, docs/security.md):
  it reads that principal's password from the secrets file (`SECRETS_FILE`, deploy/secrets.py), so
  no password is on a command line or in another process's environment.
- **The services that mint tokens sign with their own keys** (`AUTH_ISSUER=<service>`: the console, the
  gateway, clearing), each trusted only for what it may grant (libs/auth/keys.py, docs/security.md).
- **Each process connects to Postgres as its service's role** (`PGUSER=<service>`, an empty `PGPASSWORD`:
  the role's password is read from the secrets file), whatever PGUSER the caller had (docs/database-roles.md).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

SERVICES = ("enrollment", "settlement", "wallet", "clearing", "gateway", "console")
FOLLOWERS = frozenset({"enrollment", "clearing", "console"})
DEFAULT_FOLLOWER_NICE = 10
DEFAULT_SPLITS = "settlement:wallet.payments"
TOKEN_ISSUERS = ("console", "gateway", "clearing")  # sign their tokens with their own keys (libs/auth/keys.py)


def instances(spec: str) -> dict[str, int]:
    """`SERVICE_INSTANCES` read: how many processes of each service (1 unless named)."""
    counts = dict.fromkeys(SERVICES, 1)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, count = item.partition("=")
        if name not in counts or not count.isdigit() or int(count) < 1:
            raise ValueError(f"SERVICE_INSTANCES: {item!r} is not <service>=<count> with a service of {SERVICES}")
        counts[name] = int(count)
    return counts


def splits(spec: str) -> dict[str, list[str]]:
    """`SPLIT_CONSUMERS` read: the topics each service consumes in a process of its own."""
    out: dict[str, list[str]] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, topic = item.partition(":")
        if name not in SERVICES or not topic:
            raise ValueError(f"SPLIT_CONSUMERS: {item!r} is not <service>:<topic> with a service of {SERVICES}")
        out.setdefault(name, []).append(topic)
    return out


def credentials(service: str) -> dict[str, str]:
    """The environment that makes a process its service's Kafka principal and Postgres role (their
    passwords: the secrets file's KAFKA_USER_<SERVICE>_PASSWORD and PG_<SERVICE>_PASSWORD; the caller's
    KAFKA_PASSWORD and PGPASSWORD are not passed on)."""
    own = {"KAFKA_USERNAME": service, "KAFKA_PASSWORD": "", "PGUSER": service, "PGPASSWORD": ""}
    return own | ({"AUTH_ISSUER": service} if service in TOKEN_ISSUERS else {})


def processes(env: Mapping[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(label, service, extra environment) of every process to start: "settlement", "settlement-2",
    "settlement-payments"…"""
    counts = instances(env.get("SERVICE_INSTANCES", ""))
    split = splits(env.get("SPLIT_CONSUMERS", DEFAULT_SPLITS))
    out = []
    for name in SERVICES:
        own = {**credentials(name), **({"CONSUME_EXCEPT": ",".join(split[name])} if name in split else {})}
        for i in range(1, counts[name] + 1):
            out.append((name if i == 1 else f"{name}-{i}", name,
                        own if i == 1 else {**own, f"{name.upper()}_HTTP_PORT": "0"}))
        for topic in split.get(name, ()):
            out.append((f"{name}-{topic.rsplit('.', 1)[-1]}", name,
                        {**credentials(name), "CONSUME_ONLY": topic, f"{name.upper()}_HTTP_PORT": "0"}))
    return out


def command(service: str, env: Mapping[str, str]) -> list[str]:
    """The command line of a service's process: `nice -n FOLLOWER_NICE` in front of a follower."""
    nice = int(env.get("FOLLOWER_NICE", DEFAULT_FOLLOWER_NICE))
    prefix = ["nice", "-n", str(nice)] if service in FOLLOWERS and nice else []
    return [*prefix, sys.executable, "-m", f"services.{service}"]
