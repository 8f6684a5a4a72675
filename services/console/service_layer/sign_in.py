"""Signing in: refused while locked (login_throttle), then the password, then the failure remembered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.console.domain.login_throttle import FailureCounts, ThrottlePolicy, check_not_locked
from services.console.domain.operators import ConsoleUser, LoginRefused, check_login


class LoginAttempts(Protocol):
    async def failures(self, username: str, address: str, since: datetime) -> FailureCounts: ...
    async def failed(self, username: str, address: str, at: datetime, forget_before: datetime) -> None: ...
    async def succeeded(self, username: str, address: str) -> None: ...


@dataclass
class SignIn:
    attempts: LoginAttempts
    users: Callable[[], dict[str, ConsoleUser]]
    policy: ThrottlePolicy

    async def __call__(self, username: str, password: str, address: str, now: datetime) -> ConsoleUser:
        """The user, or LoginLocked / LoginRefused."""
        name = username.strip().lower()  # one count for "Operator" and "operator"
        since = now - self.policy.window
        check_not_locked(self.policy, await self.attempts.failures(name, address, since), now)
        try:
            user = check_login(self.users(), username, password)
        except LoginRefused:
            await self.attempts.failed(name, address, now, since)
            raise
        await self.attempts.succeeded(name, address)
        return user
