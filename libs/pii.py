"""Personal data at rest: resident ID numbers and names sealed (AES-256-GCM), found by a keyed hash.

Only the enrollment service keeps ID numbers and names, and a dump of its database must not show them:
each value is stored sealed, `pii:1:<key id>:<base64 of nonce + ciphertext>`, with the field's name as
associated data (a sealed name cannot be passed off as an ID number), and an ID number is looked up by
its HMAC-SHA-256 under a second key, so uniqueness holds without the clear value. Both keys come from
the secrets file (`PII_ENCRYPTION_KEY`, `PII_HASH_KEY`), never from the repository.

`Sealer` is the sealing alone, for other secrets kept at rest under keys of their own (the hospital
gateway's institution app secrets, `GATEWAY_SECRET_KEY`).

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
class Sealer:
    """AES-256-GCM under a list of keys: the first seals, every one opens. A sealed value reads
    `<prefix><key id>:<base64 of nonce + ciphertext>`; `field` is the associated data, so a value sealed
    for one field (or row) cannot be passed off as another's. `setting` names the keys in errors."""

    keys: dict[str, AESGCM]
    current: str
    setting: str = "PII_ENCRYPTION_KEY"
    prefix: str = _PREFIX

    @classmethod
    def from_setting(cls, text: str, setting: str, prefix: str = _PREFIX) -> Sealer:
        """`text`: `base64` or `kid:base64,kid:base64` (the first seals)."""
        keys: dict[str, AESGCM] = {}
        for n, item in enumerate(part.strip() for part in (text or "").split(",") if part.strip()):
            kid, _, key = item.rpartition(":") if ":" in item else (str(n), "", item)
            if not kid.isalnum() or kid in keys:
                raise PiiKeyError(f"{setting}: key id {kid!r} is not alphanumeric or is repeated")
            keys[kid] = AESGCM(_key(key, f"{setting}[{kid}]"))
        if not keys:
            raise PiiKeyError(f"{setting} holds no key (deploy/secrets.py writes it)")
        return cls(keys, next(iter(keys)), setting, prefix)

    def is_sealed(self, value: str) -> bool:
        return value.startswith(self.prefix)

    def key_id(self, sealed: str) -> str:
        """The id of the key a sealed value was sealed under."""
        return sealed[len(self.prefix):].partition(":")[0]

    def seal(self, field: str, value: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self.keys[self.current].encrypt(nonce, value.encode(), field.encode())
        return f"{self.prefix}{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, field: str, sealed: str) -> str:
        if not self.is_sealed(sealed):
            return sealed  # written before values were sealed; re-sealed by the upgrade at start
        kid, _, body = sealed[len(self.prefix):].partition(":")
        if kid not in self.keys:
            raise PiiKeyError(f"a {field} is sealed under key {kid!r}, which this process does not hold ({self.setting})")
        raw = base64.b64decode(body)
        return self.keys[kid].decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], field.encode()).decode()


@dataclass(frozen=True)
class PiiVault:
    sealer: Sealer
    hash_key: bytes

    @classmethod
    def from_settings(cls, encryption_keys: str, hash_key: str) -> PiiVault:
        """`encryption_keys`: `base64` or `kid:base64,kid:base64` (the first seals); `hash_key`: base64."""
        if not encryption_keys or not hash_key:
            raise PiiKeyError("PII_ENCRYPTION_KEY and PII_HASH_KEY must be set (deploy/secrets.py writes them)")
        return cls(Sealer.from_setting(encryption_keys, "PII_ENCRYPTION_KEY"), _key(hash_key, "PII_HASH_KEY"))

    @classmethod
    def ephemeral(cls) -> PiiVault:
        """Keys that live as long as the process: for tests and throw-away namespaces only."""
        return cls.from_settings(new_key(), new_key())

    def seal(self, field: str, value: str) -> str:
        return self.sealer.seal(field, value)

    def open(self, field: str, sealed: str) -> str:
        return self.sealer.open(field, sealed)

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
