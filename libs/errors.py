"""The one base of every service's named domain errors: a stable `reason_code` and a sentence for people.

A service subclasses it once for its own family (`ClaimRefused`, `WalletError`, `ClearingError`) and
once per error; the code goes on the wire, the sentence to the clerk, and `str()` gives both.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """`reason_code` is stable (a class attribute, or given per instance); `sentence` is for people."""

    reason_code: ClassVar[str] = "DOMAIN_ERROR"

    def __init__(self, sentence: str, reason_code: str | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        if reason_code is not None:
            self.__dict__["reason_code"] = reason_code  # an instance's own code shadows the class's

    def __str__(self) -> str:
        return f"{self.reason_code}: {self.sentence}"
