"""The platform's secrets: generated on the first `make up`, never in the repository.

    python -m deploy.secrets ensure            # add every missing entry (make up, make secrets)
    python -m deploy.secrets rotate [NAME...]  # new values for the rotatable entries (make rotate-secrets)
    python -m deploy.secrets path              # where the file is

The file is `$SECRETS_FILE`, else `$STACK_DIR/secrets.env`, else `<repo>/.stack/secrets.env` (gitignored),
mode 0600, one `NAME=value` a line. Python reads it through `libs.settings.load_secrets()`, the deploy
scripts with `. file` (values are URL-safe base64: no quoting needed).

`ENTRIES` is the one table of secrets: add a row for a new one. Rotating a Kafka password changes the
principal's SCRAM credential in the running broker first (as admin, with the admin password the file
held), then each Postgres role's with ALTER ROLE where that role exists (connected with the passwords the
file held), then the file (deploy/postgres.sh also sets every role's password from it at start). Running
services keep their connections; restart them (`make run`) so that new connections use the new values.
Keys that protect stored data (PII_ENCRYPTION_KEY, PII_HASH_KEY, GATEWAY_SECRET_KEY) are not rotated by `rotate`: that needs
a re-encryption of the data, which is not this tool's job (name them explicitly to force it).
"""

from __future__ import annotations

import os
import sys

# Run as a script (`python3 deploy/secrets.py`, as deploy/kafka.sh does before any venv exists), this
# folder is first on sys.path and this very file would shadow the standard library's `secrets`.
_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or ".") == _HERE:
    sys.path[0] = os.path.dirname(_HERE)  # the repository instead, for the lazy `libs` imports

import argparse  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

KAFKA_PRINCIPALS = ("admin", "enrollment", "settlement", "wallet", "clearing", "gateway", "offices", "console")
TOKEN_ISSUERS = ("console", "gateway", "clearing")  # libs/auth/keys.py ISSUER_ROLES: each signs with its own key
PG_ROLES = ("owner", "enrollment", "settlement", "wallet", "clearing", "gateway", "console")


def _password() -> str:
    return secrets.token_urlsafe(32)  # 256 bits, [A-Za-z0-9_-]: safe in JAAS strings, DSNs and shell


def _key() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Secret:
    name: str
    generate: Callable[[], str]
    description: str
    rotate: bool = True  # False: rotating it loses data; `rotate` leaves it unless it is named


def kafka_password_name(principal: str) -> str:
    return f"KAFKA_USER_{principal.upper()}_PASSWORD"


def pg_password_name(role: str) -> str:
    return f"PG_{role.upper()}_PASSWORD"


ENTRIES: tuple[Secret, ...] = (
    *(Secret(kafka_password_name(p), _password, f"Kafka SCRAM-SHA-512 password of User:{p}") for p in KAFKA_PRINCIPALS),
    *(Secret(pg_password_name(r), _password, f"Postgres password of the role {r}") for r in PG_ROLES),
    Secret("AUTH_SIGNING_KEY", _key, "signs the platform's HTTP bearer tokens (libs/auth): make token, tools"),
    *(Secret(f"AUTH_ISSUER_KEY_{issuer.upper()}", _key, f"signs the tokens the {issuer} service may grant (libs/auth)")
      for issuer in TOKEN_ISSUERS),
    *(Secret(f"CONSOLE_{user}_PASSWORD", _password, f"the console's user {name} (services/console/adapters/users.py)")
      for user, name in (("OPERATOR", "operator"), ("AUDITOR", "auditor"), ("CLEARING_DESK", "clearing"))),
    Secret("PII_ENCRYPTION_KEY", _key, "encrypts personal data at rest (enrollment)", rotate=False),
    Secret("PII_HASH_KEY", _key, "keyed hash for look-ups of personal data (enrollment)", rotate=False),
    Secret("GATEWAY_SECRET_KEY", _key, "seals the institutions' app secrets at rest (gateway)", rotate=False),
)
BY_NAME = {s.name: s for s in ENTRIES}


def secrets_path() -> Path:
    if os.environ.get("SECRETS_FILE"):
        return Path(os.environ["SECRETS_FILE"])
    stack = os.environ.get("STACK_DIR")
    return (Path(stack) if stack else ROOT / ".stack") / "secrets.env"


def read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip()
    return out


def write(path: Path, values: dict[str, str]) -> None:
    """Atomically, 0600 from the first byte (never world-readable, not even for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    known = [s.name for s in ENTRIES if s.name in values]
    extra = sorted(set(values) - set(known))  # entries someone added by hand are kept
    lines = ["# Generated by deploy/secrets.py; never commit. Rotate: make rotate-secrets"]
    lines += [f"{name}={values[name]}" for name in (*known, *extra)]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secrets.", text=True)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    os.chmod(path, 0o600)


def ensure(path: Path | None = None) -> list[str]:
    """Add every missing entry; return the names added. Existing values are never changed."""
    path = path or secrets_path()
    values = read(path)
    added = [s.name for s in ENTRIES if not values.get(s.name)]
    for name in added:
        values[name] = BY_NAME[name].generate()
    if added or not path.exists():
        write(path, values)
    elif path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return added


def rotation_plan(names: Iterable[str] = ()) -> dict[str, str]:
    """New values for `names` (default: every rotatable entry)."""
    wanted = list(names) or [s.name for s in ENTRIES if s.rotate]
    unknown = [n for n in wanted if n not in BY_NAME]
    if unknown:
        raise SystemExit(f"unknown secrets: {', '.join(unknown)} (known: {', '.join(BY_NAME)})")
    return {name: BY_NAME[name].generate() for name in wanted}


def rotate(names: Iterable[str] = (), path: Path | None = None) -> list[str]:
    path = path or secrets_path()
    ensure(path)
    old = read(path)
    new = rotation_plan(names)
    kafka = {p: new[kafka_password_name(p)] for p in KAFKA_PRINCIPALS if kafka_password_name(p) in new}
    if kafka:
        from libs.messaging.admin import apply_scram_credentials  # the broker first: if it refuses, nothing changed

        apply_scram_credentials(kafka, admin_password=old[kafka_password_name("admin")])
    pg = {r: new[pg_password_name(r)] for r in PG_ROLES if pg_password_name(r) in new}
    if pg:
        _alter_pg_roles(pg)  # connects with the passwords the file still holds
    write(path, {**old, **new})
    if "admin" in kafka:
        _refresh_admin_properties(path.parent / "kafka" / "admin.properties", kafka["admin"])
    return sorted(new)


def _refresh_admin_properties(props: Path, password: str) -> None:
    """The Kafka CLI tools' admin configuration that deploy/kafka.sh wrote, with the new password."""
    if props.exists():
        text = re.sub(r'password="[^"]*"', f'password="{password}"', props.read_text())
        props.write_text(text)
        os.chmod(props, 0o600)


def _alter_pg_roles(passwords: dict[str, str]) -> None:
    """ALTER ROLE ... PASSWORD for each role that exists (deploy/postgres.sh creates them from this file)."""
    import asyncio

    import asyncpg

    from libs.settings import StackSettings

    async def run() -> list[str]:
        s = StackSettings()
        try:
            conn = await asyncpg.connect(s.dsn("postgres"), timeout=10)
        except (OSError, asyncpg.PostgresError) as e:
            print(f"[secrets] Postgres not reachable ({e}); roles get the new passwords on its next start",
                  file=sys.stderr)
            return []
        changed = []
        try:
            for role, password in passwords.items():
                if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                    # ALTER ROLE takes no bind parameters; the password is URL-safe base64 (no quote can occur).
                    await conn.execute(f"ALTER ROLE \"{role}\" PASSWORD '{password}'")
                    changed.append(role)
        finally:
            await conn.close()
        return changed

    changed = asyncio.run(run())
    print(f"[secrets] Postgres roles with new passwords: {', '.join(changed) or 'none (no such roles yet)'}",
          file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m deploy.secrets", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("ensure", help="add every missing entry (existing values are kept)")
    r = sub.add_parser("rotate", help="new values for the rotatable entries, or for the ones named")
    r.add_argument("names", nargs="*")
    sub.add_parser("path", help="print where the secrets file is")
    args = p.parse_args(argv)
    path = secrets_path()
    if args.cmd == "path":
        print(path)
    elif args.cmd == "ensure":
        added = ensure(path)
        print(f"[secrets] {path}: {'added ' + ', '.join(added) if added else 'complete'}", file=sys.stderr)
    else:
        rotated = rotate(args.names, path)
        print(f"[secrets] {path}: rotated {', '.join(rotated)}; restart the services (make run) to use them",
              file=sys.stderr)


if __name__ == "__main__":
    main()
