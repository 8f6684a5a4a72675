"""A Postgres role's password, read from the platform's secrets file (`PG_<ROLE>_PASSWORD`).

The file is `$SECRETS_FILE`, else `$STACK_DIR/secrets.env`, else `<repo>/.stack/secrets.env`: the one
deploy/secrets.py writes (deploy/postgres.sh sets every role's password from it). A missing file or
entry gives an empty password, so the server's refusal names the role that could not log in.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def secrets_path() -> Path:
    if os.environ.get("SECRETS_FILE"):
        return Path(os.environ["SECRETS_FILE"])
    return Path(os.environ.get("STACK_DIR") or ROOT / ".stack") / "secrets.env"


def pg_password(role: str) -> str:
    name = f"PG_{role.upper()}_PASSWORD="
    try:
        lines = secrets_path().read_text().splitlines()
    except FileNotFoundError:
        return ""
    return next((line[len(name):].strip() for line in reversed(lines) if line.startswith(name)), "")
