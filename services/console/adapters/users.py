"""Console users from the secrets file (deploy/secrets.py generates their passwords).

    CONSOLE_OPERATOR_PASSWORD       user `operator`      role operator
    CONSOLE_AUDITOR_PASSWORD        user `auditor`       role auditor
    CONSOLE_CLEARING_DESK_PASSWORD  user `clearing`      role clearing_desk

The environment overrides the file (tests set them). A user without a password cannot sign in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from services.console.adapters.auth import load_secrets
from services.console.domain.operators import ConsoleRole, ConsoleUser

USERS = (("operator", ConsoleRole.operator, "CONSOLE_OPERATOR_PASSWORD"),
         ("auditor", ConsoleRole.auditor, "CONSOLE_AUDITOR_PASSWORD"),
         ("clearing", ConsoleRole.clearing_desk, "CONSOLE_CLEARING_DESK_PASSWORD"))


def console_users(environ: Mapping[str, str] | None = None) -> dict[str, ConsoleUser]:
    environ = os.environ if environ is None else environ
    secrets = load_secrets()
    found = {}
    for username, role, entry in USERS:
        password = environ.get(entry) or secrets.get(entry)
        if password:
            found[username] = ConsoleUser(username, role, password)
    return found
