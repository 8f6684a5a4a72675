"""How an institution signs a request, and how the gateway checks it (before any business handling).

Headers (the key-id + HMAC scheme some provinces use, `x-ca-*`):

    x-ca-key           the institution's app id
    x-ca-timestamp     Unix seconds when the HIS sent the request
    x-ca-nonce         a random string, never reused (a UUID)
    x-ca-signature-method  HmacSHA256 (default) or HmacSM3
    x-ca-signature     hex HMAC, keyed with the app secret, over
                       timestamp + "\\n" + nonce + "\\n" + the exact request body bytes

A timestamp outside the window or a nonce seen before is a replay; the comparison is constant-time.
SM3 comes from `gmssl` (a maintained pure-Python implementation), wrapped for the standard `hmac`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from gmssl import sm3 as _sm3  # type: ignore[import-untyped]

from services.gateway.domain.errors import BadSignature, Replayed

SHA256, SM3 = "HmacSHA256", "HmacSM3"


class _Sm3:
    """SM3 with the hashlib interface `hmac` needs (block 64 bytes, digest 32)."""

    name, digest_size, block_size = "sm3", 32, 64

    def __init__(self, data: bytes = b"") -> None:
        self._data = bytearray(data)

    def update(self, data: bytes) -> None:
        self._data += data

    def copy(self) -> _Sm3:
        return _Sm3(bytes(self._data))

    def digest(self) -> bytes:
        return bytes.fromhex(str(_sm3.sm3_hash(list(self._data))))

    def hexdigest(self) -> str:
        return self.digest().hex()


ALGORITHMS: dict[str, Any] = {SHA256: sha256, SM3: _Sm3}


def signature(secret: str, timestamp: str, nonce: str, body: bytes, method: str = SHA256) -> str:
    digestmod = ALGORITHMS.get(method)
    if digestmod is None:
        raise BadSignature(f"x-ca-signature-method {method!r} is not HmacSHA256 or HmacSM3")
    message = f"{timestamp}\n{nonce}\n".encode() + body
    return str(hmac.new(secret.encode(), message, digestmod).hexdigest())


@dataclass(frozen=True)
class SignedRequest:
    app_id: str
    timestamp: str
    nonce: str
    method: str
    signature: str

    @classmethod
    def from_headers(cls, headers: object) -> SignedRequest:
        get = headers.get  # type: ignore[attr-defined]
        missing = [h for h in ("x-ca-key", "x-ca-timestamp", "x-ca-nonce", "x-ca-signature") if not get(h)]
        if missing:
            raise BadSignature(f"the request is not signed: header(s) {', '.join(missing)} missing "
                               "(see docs/hospital-integration.md, Signing)")
        return cls(get("x-ca-key"), get("x-ca-timestamp"), get("x-ca-nonce"),
                   get("x-ca-signature-method") or SHA256, get("x-ca-signature"))

    def check_fresh(self, now: float, window_s: float) -> None:
        try:
            sent = float(self.timestamp)
        except ValueError:
            raise BadSignature(f"x-ca-timestamp {self.timestamp!r} is not Unix seconds") from None
        if abs(now - sent) > window_s:
            raise Replayed(f"x-ca-timestamp is {now - sent:+.0f} s from the gateway's clock (window ±{window_s:g} s): "
                           "check the HIS clock, and sign each request when it is sent")
        if not 8 <= len(self.nonce) <= 64:
            raise BadSignature("x-ca-nonce must be 8 to 64 characters (a UUID)")

    def check_signature(self, secret: str, body: bytes) -> None:
        expected = signature(secret, self.timestamp, self.nonce, body, self.method)
        if not hmac.compare_digest(expected, self.signature.lower()):
            raise BadSignature("x-ca-signature does not match: sign timestamp\\nnonce\\nbody with the app secret "
                               "(the exact bytes sent)")
