"""Why the gateway refuses a request, each worded for the clerk at the counter (the reply's `err_msg`).

Two kinds: a business refusal (`Refusal`) is answered as the national interface answers one, the reply
envelope with `infcode -1`; a gateway-level refusal (`AccessRefused`: signature, replay, wrong
institution, rate, an unreachable database) is answered before any business handling, in the short shape
`{"type": "error", "infcode": -1, "err_msg": ...}` with an HTTP status that says which.
"""

from __future__ import annotations


class Refusal(Exception):
    """A business refusal: `infcode -1` and `err_msg`; `code` is stable for programs and logs."""

    code = "REFUSED"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(Refusal):
    code = "INVALID_INPUT"


class UnknownCode(Refusal):
    """A code value the platform has no meaning for: refused by name, never guessed."""

    code = "UNKNOWN_CODE"

    def __init__(self, field: str, label: str, value: object, known: str) -> None:
        super().__init__(f"{label} {field} 值 {value!r} 本平台不支持 (not supported); 可用 (use): {known}")
        self.field, self.value = field, value


class NotSignedIn(Refusal):
    code = "NOT_SIGNED_IN"


class UnknownVisit(Refusal):
    code = "UNKNOWN_VISIT"


class VisitStateConflict(Refusal):
    code = "VISIT_STATE"


class PlatformRefused(Refusal):
    """The settlement engine refused the claim; `code` is its reason code."""


class NoReplyInTime(Refusal):
    code = "TIMEOUT"


class MsgidReused(Refusal):
    code = "MSGID_REUSED"


class AccessRefused(Exception):
    """A gateway-level refusal: answered before the request is read as a transaction. `retry_after_s`:
    when the same request may be sent again (signed again), as HTTP's Retry-After."""

    status = 401
    code = "ACCESS_REFUSED"

    def __init__(self, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


class BadSignature(AccessRefused):
    code = "BAD_SIGNATURE"


class Replayed(AccessRefused):
    code = "REPLAYED"


class WrongInstitution(AccessRefused):
    status = 403
    code = "WRONG_INSTITUTION"


class BodyTooLarge(AccessRefused):
    status = 413
    code = "BODY_TOO_LARGE"


class RateLimited(AccessRefused):
    status = 429
    code = "RATE_LIMITED"


class Unavailable(AccessRefused):
    """The gateway's database cannot be reached: nothing of the request was recorded, send it again later."""

    status = 503
    code = "TRY_AGAIN"  # as every service's API names it (libs/http.py)
