"""Who may sign in to the console, and what each role may do there.

An operator watches and acts on dead letters; the clearing desk closes cycles and runs
reconciliations; an auditor sees everything and acts on nothing.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum


class ConsoleRole(StrEnum):
    operator = "operator"
    auditor = "auditor"
    clearing_desk = "clearing_desk"


ACTIONS: dict[str, frozenset[ConsoleRole]] = {
    "dead_letter.replay": frozenset({ConsoleRole.operator}),
    "dead_letter.discard": frozenset({ConsoleRole.operator}),
    # clearing's own role table admits the clearing desk alone to these (docs/security.md)
    "clearing.close": frozenset({ConsoleRole.clearing_desk}),
    "clearing.reconcile": frozenset({ConsoleRole.clearing_desk}),
}


class LoginRefused(Exception):
    """Wrong user name or password (which of the two is not said)."""


class ActionForbidden(Exception):
    def __init__(self, role: str, action: str) -> None:
        super().__init__(f"A {role} may look but not {action}.")
        self.role, self.action = role, action


@dataclass(frozen=True)
class ConsoleUser:
    username: str
    role: ConsoleRole
    password: str


def check_login(users: dict[str, ConsoleUser], username: str, password: str) -> ConsoleUser:
    user = users.get(username)
    # compare even for an unknown name, so the answer takes as long either way
    expected = user.password if user else "\0" * max(len(password), 1)
    if not hmac.compare_digest(expected.encode(), password.encode()) or user is None or not user.password:
        raise LoginRefused()
    return user


def check_may(role: str, action: str) -> None:
    if role not in ACTIONS[action]:
        raise ActionForbidden(role, action)


def may(role: str) -> list[str]:
    return sorted(action for action, roles in ACTIONS.items() if role in roles)
