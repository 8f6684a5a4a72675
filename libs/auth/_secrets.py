"""Stand-in for `libs.settings.load_secrets` (kafka-security's) until it lands: same path rules."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_secrets() -> dict[str, str]:
    if os.environ.get("SECRETS_FILE"):
        path = Path(os.environ["SECRETS_FILE"])
    else:
        path = (Path(os.environ["STACK_DIR"]) if os.environ.get("STACK_DIR") else ROOT / ".stack") / "secrets.env"
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}
