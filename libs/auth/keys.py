"""The platform's token keys: an Ed25519 key pair, read from the environment or the secrets file.

`AUTH_SIGNING_KEY` is the 32-byte Ed25519 private key (its seed) in URL-safe base64, as
`deploy/secrets.py` generates it. Only the issuers need it (`make token`, the console's logins, a
service minting its own service token). Verifying needs only public keys: the one derived from
`AUTH_SIGNING_KEY` when a process has it, and any in `AUTH_VERIFY_KEY` (comma-separated public keys in
URL-safe base64: a process given only those cannot mint tokens; during a rotation, list the old one
too so tokens issued just before stay valid until they expire).

The environment wins over the secrets file (tests put an ephemeral pair there: `ephemeral_env`).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from libs.settings import load_secrets

SIGNING = "AUTH_SIGNING_KEY"
VERIFYING = "AUTH_VERIFY_KEY"


class KeysMissing(RuntimeError):
    """No key to sign or verify with: the secrets file was not generated (`make secrets`)."""


def _decode(value: str) -> bytes:
    raw = base64.urlsafe_b64decode(value.strip() + "=" * (-len(value.strip()) % 4))
    if len(raw) != 32:
        raise KeysMissing("an Ed25519 key is 32 bytes in URL-safe base64; regenerate it with `make secrets`")
    return raw


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for a public key, carried in each token's header so a verifier picks the right key."""
    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


@dataclass(frozen=True)
class Keys:
    signing: Ed25519PrivateKey | None
    verifying: dict[str, Ed25519PublicKey]  # by key id

    @classmethod
    def of(cls, signing: str | None, verifying: str | None) -> Keys:
        private = Ed25519PrivateKey.from_private_bytes(_decode(signing)) if signing else None
        publics = [Ed25519PublicKey.from_public_bytes(_decode(v)) for v in (verifying or "").split(",") if v.strip()]
        if private is not None:
            publics.insert(0, private.public_key())
        return cls(private, {key_id(p): p for p in publics})


def current_keys() -> Keys:
    """The process's keys: the environment's, else the secrets file's."""
    signing, verifying = os.environ.get(SIGNING), os.environ.get(VERIFYING)
    if not signing and not verifying:
        stored = load_secrets()
        signing, verifying = stored.get(SIGNING), stored.get(VERIFYING)
    return _keys(signing or None, verifying or None)


@lru_cache(maxsize=8)
def _keys(signing: str | None, verifying: str | None) -> Keys:
    return Keys.of(signing, verifying)


def new_signing_key() -> str:
    """A fresh private key in the secrets file's format."""
    return _encode(Ed25519PrivateKey.generate().private_bytes_raw())


def public_key_of(signing: str) -> str:
    """The public key (for `AUTH_VERIFY_KEY`) of a private key in the secrets file's format."""
    private = Ed25519PrivateKey.from_private_bytes(_decode(signing))
    return _encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def ephemeral_env() -> dict[str, str]:
    """A throw-away key pair as environment variables, for tests and one-off runs."""
    signing = new_signing_key()
    return {SIGNING: signing, VERIFYING: public_key_of(signing)}
