"""Personal data at rest: resident ID numbers and names sealed (AES-256-GCM), found by a keyed hash.

Only the enrollment service keeps ID numbers and names, and a dump of its database must not show them:
each value is stored sealed, `pii:1:<key id>:<base64 of nonce + ciphertext>`, with the field's name as
associated data (a sealed name cannot be passed off as an ID number), and an ID number is looked up by
its HMAC-SHA-256 under a second key, so uniqueness holds without the clear value. Both keys come from
the secrets file (`PII_ENCRYPTION_KEY`, `PII_HASH_KEY`), never from the repository.

Rotation: the encryption key may be a list, `kid:base64,kid:base64`; the first seals, every one opens,
so old rows stay readable until they are re-sealed (docs/security.md). The hash key cannot rotate
without re-hashing every row, so it is one key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "pii:1:"
_NONCE_BYTES = 12


class PiiKeyError(ValueError):
    """A key is missing or malformed, or a sealed value names a key this process does not hold."""


def new_key() -> str:
    """A fresh 256-bit key, URL-safe base64 (what deploy/secrets.py writes)."""
    return secrets.token_urlsafe(32)


def _key(text: str, name: str) -> bytes:
    """A key from base64, URL-safe or standard, padded or not."""
    urlsafe = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(urlsafe + "=" * (-len(urlsafe) % 4))
    except (ValueError, binascii.Error):
        raise PiiKeyError(f"{name} is not base64") from None
    if len(raw) != 32:
        raise PiiKeyError(f"{name} must be 32 bytes (base64 of 256 bits), got {len(raw)}")
    return raw


@dataclass(frozen=True)
class PiiVault:
    keys: dict[str, AESGCM]
    current: str
    hash_key: bytes

    @classmethod
    def from_settings(cls, encryption_keys: str, hash_key: str) -> PiiVault:
        """`encryption_keys`: `base64` or `kid:base64,kid:base64` (the first seals); `hash_key`: base64."""
        if not encryption_keys or not hash_key:
            raise PiiKeyError("PII_ENCRYPTION_KEY and PII_HASH_KEY must be set (deploy/secrets.py writes them)")
        keys: dict[str, AESGCM] = {}
        for n, item in enumerate(part.strip() for part in encryption_keys.split(",") if part.strip()):
            kid, _, text = item.rpartition(":") if ":" in item else (str(n), "", item)
            if not kid.isalnum() or kid in keys:
                raise PiiKeyError(f"PII_ENCRYPTION_KEY: key id {kid!r} is not alphanumeric or is repeated")
            keys[kid] = AESGCM(_key(text, f"PII_ENCRYPTION_KEY[{kid}]"))
        if not keys:
            raise PiiKeyError("PII_ENCRYPTION_KEY holds no key")
        return cls(keys, next(iter(keys)), _key(hash_key, "PII_HASH_KEY"))

    @classmethod
    def ephemeral(cls) -> PiiVault:
        """Keys that live as long as the process: for tests and throw-away namespaces only."""
        return cls.from_settings(new_key(), new_key())

    def seal(self, field: str, value: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self.keys[self.current].encrypt(nonce, value.encode(), field.encode())
        return f"{_PREFIX}{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, field: str, sealed: str) -> str:
        if not is_sealed(sealed):
            return sealed  # written before values were sealed; re-sealed by the upgrade at start
        kid, _, body = sealed[len(_PREFIX):].partition(":")
        if kid not in self.keys:
            raise PiiKeyError(f"a {field} is sealed under key {kid!r}, which this process does not hold")
        raw = base64.b64decode(body)
        return self.keys[kid].decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], field.encode()).decode()

    def seal_bytes(self, field: str, data: bytes) -> bytes:
        """Raw bytes sealed (a message that carries personal data, parked as a dead letter)."""
        return self.seal(field, base64.b64encode(data).decode()).encode()

    def open_bytes(self, field: str, sealed: bytes) -> bytes:
        return base64.b64decode(self.open(field, sealed.decode()))

    def lookup_hash(self, id_number: str) -> str:
        """The keyed hash an ID number is found and kept unique by."""
        return hmac.new(self.hash_key, id_number.encode(), hashlib.sha256).hexdigest()


def is_sealed(value: str) -> bool:
    return value.startswith(_PREFIX)
