"""Each container's share of the platform's secrets, for docker-compose.yml.

The secrets file (deploy/secrets.py) holds every password and key of the platform, mode 0600 on the
host. Compose bind-mounts a file secret as it is on the host and ignores `uid`, `gid` and `mode`
outside Swarm, so a container user other than the file's owner could not read it, and every container
given the file could read every other's passwords. Instead, a one-shot container (`secrets` in
docker-compose.yml, run as root) reads the file once and writes each consumer's share into a volume of
that consumer's own:

    python -m libs.secret_shares /run/secrets/platform /shares   # /shares/<consumer>/platform

- a service: its own Kafka and Postgres passwords, the keyed-hash key of the audit log's pseudonyms,
  and the tokens' public keys (`AUTH_VERIFY_KEY` and each issuer's `AUTH_ISSUER_PUBLIC_<ISSUER>`, derived
  here): it can check a token, not mint one; the token issuers (the console's logins, the gateway's and
  clearing's service tokens) also get their own scoped signing key (never the platform's); enrollment
  the key that seals personal data; the console its users' passwords; and any entry named after the
  service (`GATEWAY_...`) goes to that service alone;
- `kafka` (the broker): the admin's password; `admin` (the topics/ACLs tool): every Kafka password;
- `postgres`: every role's password (its init script creates the roles).

An entry no rule gives out is given to no one (a test checks every entry of deploy/secrets.py has a
consumer). Each share is written owned by its container's user, mode 0400 (the broker's image user is
not ours to know: its share, alone in its volume, is 0444).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from libs.auth.keys import ISSUER_ROLES, SIGNING, VERIFYING, issuer_key_name, issuer_public_name, public_key_of

SERVICES = ("enrollment", "settlement", "wallet", "clearing", "gateway", "console")
ISSUERS = frozenset(ISSUER_ROLES)  # mint tokens, each with its own key (libs/auth/keys.py)
OWN_EXTRA = {"enrollment": ("PII_ENCRYPTION_KEY",)}
EVERY_SERVICE = ("PII_HASH_KEY",)  # the audit log's pseudonyms (libs/audit/identity.py)
SERVICE_USER = (10001, 10001, 0o400)  # the image's user (Dockerfile)
OWNERS = {"postgres": (999, 999, 0o400), "kafka": (0, 0, 0o444)}
CONSUMERS = (*SERVICES, "kafka", "admin", "postgres")


def share(consumer: str, values: Mapping[str, str]) -> dict[str, str]:
    """What `consumer` may read of the secrets file's `values`, in the file's order."""
    if consumer == "postgres":
        return {k: v for k, v in values.items() if k.startswith("PG_") and k.endswith("_PASSWORD")}
    if consumer == "kafka":
        return {k: v for k, v in values.items() if k == "KAFKA_USER_ADMIN_PASSWORD"}
    if consumer == "admin":
        return {k: v for k, v in values.items() if k.startswith("KAFKA_USER_") and k.endswith("_PASSWORD")}
    if consumer not in SERVICES:
        raise ValueError(f"no share for {consumer!r}: one of {CONSUMERS}")
    upper = consumer.upper()
    wanted = {f"KAFKA_USER_{upper}_PASSWORD", f"PG_{upper}_PASSWORD", *EVERY_SERVICE, *OWN_EXTRA.get(consumer, ())}
    if consumer in ISSUERS:
        wanted.add(issuer_key_name(consumer))
    out = {k: v for k, v in values.items()
           if k in wanted or (k.startswith(f"{upper}_") and not k.startswith(("KAFKA_", "PG_")))}
    if values.get(SIGNING):
        verifying = [public_key_of(values[SIGNING]), *filter(None, values.get(VERIFYING, "").split(","))]
        out[VERIFYING] = ",".join(dict.fromkeys(verifying))
    for issuer in ISSUER_ROLES:  # every issuer's public key, scoped by its name
        if values.get(issuer_key_name(issuer)):
            out[issuer_public_name(issuer)] = public_key_of(values[issuer_key_name(issuer)])
    return out


def read(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            out[name.strip()] = value.strip()
    return out


def write_shares(source: Path, root: Path) -> dict[str, Path]:
    """Every consumer's share as `root/<consumer>/platform`, replaced atomically; owners set when root."""
    values = read(source)
    written = {}
    for consumer in CONSUMERS:
        folder = root / consumer
        folder.mkdir(parents=True, exist_ok=True)
        uid, gid, mode = OWNERS.get(consumer, SERVICE_USER)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".platform-")
        with os.fdopen(fd, "w") as out:
            out.writelines(f"{k}={v}\n" for k, v in share(consumer, values).items())
        os.chmod(tmp, mode)
        if os.geteuid() == 0:
            os.chown(tmp, uid, gid)
        os.replace(tmp, folder / "platform")
        written[consumer] = folder / "platform"
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m libs.secret_shares <secrets file> <shares folder>", file=sys.stderr)
        return 2
    source = Path(args[0])
    if not source.is_file():
        print(f"{source} is missing: run `make secrets` (python3 deploy/secrets.py ensure) before `docker compose up`",
              file=sys.stderr)
        return 1
    for consumer, path in write_shares(source, Path(args[1])).items():
        print(f"[secrets] {consumer}: {len(read(path))} entries in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
