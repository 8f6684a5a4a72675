"""The platform's token keys: an Ed25519 key pair, read from the environment or the secrets file.

`AUTH_SIGNING_KEY` is the 32-byte Ed25519 private key (its seed) in URL-safe base64, as
`deploy/secrets.py` generates it. Only the issuers need it (`make token`, the console's logins, a
service minting its own service token). Verifying needs only public keys: the one derived from
`AUTH_SIGNING_KEY` when a process has it, and any in `AUTH_VERIFY_KEY` (comma-separated public keys in
URL-safe base64: a process given only those cannot mint tokens; during a rotation, list the old one
too so tokens issued just before stay valid until they expire).

The environment wins over the secrets file (tests put an ephemeral pair there: `ephemeral_env`).

**Issuers with a scope.** The services that mint tokens have keys of their own, each trusted for what
that service may grant and nothing else (`ISSUER_ROLES`): the console's (`AUTH_ISSUER_KEY_CONSOLE`) for its
operators' logins and its own service token, the gateway's and clearing's for their own service tokens.
A process started as an issuer (`AUTH_ISSUER=<service>`, deploy/launch.py and docker-compose.yml) signs with
its own key alone, so a compromised gateway cannot mint an operator's token. Every verifier knows each
issuer's public key (`AUTH_ISSUER_PUBLIC_<SERVICE>`, or derived from the private key where the process
can read it) and refuses a token whose role, or whose service subject, is outside its issuer's scope.
Issuer keys are read from the environment, else the secrets file, whatever the platform key's source.
`AUTH_SIGNING_KEY` stays the platform's own (`make token`, tests, tools): any role.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from libs.auth.principal import Role
from libs.settings import load_secrets

SIGNING = "AUTH_SIGNING_KEY"
VERIFYING = "AUTH_VERIFY_KEY"
ISSUER = "AUTH_ISSUER"  # the issuer a process signs as (its own key), unset for the platform's tools
ISSUER_ROLES: dict[str, frozenset[Role]] = {
    "console": frozenset({Role.operator, Role.auditor, Role.clearing_desk, Role.service}),
    "gateway": frozenset({Role.service}),
    "clearing": frozenset({Role.service}),
}


def issuer_key_name(issuer: str) -> str:
    return f"AUTH_ISSUER_KEY_{issuer.upper()}"


def issuer_public_name(issuer: str) -> str:
    return f"AUTH_ISSUER_PUBLIC_{issuer.upper()}"


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


class IssuerKey(NamedTuple):
    """An issuer's key as a process knows it: the private one (it derives the public), or the public alone."""

    issuer: str
    private: str | None
    public: str | None = None


@dataclass(frozen=True)
class Keys:
    signing: Ed25519PrivateKey | None
    verifying: dict[str, Ed25519PublicKey]  # by key id
    scopes: dict[str, str] = field(default_factory=dict)  # key id -> its issuer, for the issuers' keys

    @classmethod
    def of(cls, signing: str | None, verifying: str | None,
           issuers: tuple[IssuerKey, ...] = (), signs_as: str | None = None) -> Keys:
        """`issuers`: each issuer's private key, or its public key alone; `signs_as`: sign with that
        issuer's private key instead of the platform's `signing`."""
        private = Ed25519PrivateKey.from_private_bytes(_decode(signing)) if signing else None
        publics = [Ed25519PublicKey.from_public_bytes(_decode(v)) for v in (verifying or "").split(",") if v.strip()]
        if private is not None:
            publics.insert(0, private.public_key())
        verifying_keys = {key_id(p): p for p in publics}
        scopes: dict[str, str] = {}
        own: Ed25519PrivateKey | None = None
        for issuer, private_key, public_key in issuers:
            if private_key:
                key = Ed25519PrivateKey.from_private_bytes(_decode(private_key))
                public = key.public_key()
                own = key if issuer == signs_as else own
            else:
                public = Ed25519PublicKey.from_public_bytes(_decode(public_key or ""))
            verifying_keys[key_id(public)] = public
            scopes[key_id(public)] = issuer
        if signs_as is not None:
            private = own  # an issuer signs with its own key or not at all
        return cls(private, verifying_keys, scopes)


def current_keys() -> Keys:
    """The process's keys: the platform key from the environment, else the secrets file; each issuer's
    key from the environment, else the secrets file; `AUTH_ISSUER` picks the key this process signs with."""
    signing, verifying = os.environ.get(SIGNING), os.environ.get(VERIFYING)
    stored = load_secrets()
    if not signing and not verifying:
        signing, verifying = stored.get(SIGNING), stored.get(VERIFYING)
    issuers = []
    for issuer in ISSUER_ROLES:
        private = os.environ.get(issuer_key_name(issuer)) or stored.get(issuer_key_name(issuer))
        public = os.environ.get(issuer_public_name(issuer)) or stored.get(issuer_public_name(issuer))
        if private or public:
            issuers.append(IssuerKey(issuer, private or None, None if private else public))
    return _keys(signing or None, verifying or None, tuple(issuers), os.environ.get(ISSUER) or None)


@lru_cache(maxsize=8)
def _keys(signing: str | None, verifying: str | None, issuers: tuple[IssuerKey, ...] = (),
          signs_as: str | None = None) -> Keys:
    if signs_as is not None and signs_as not in ISSUER_ROLES:
        raise KeysMissing(f"AUTH_ISSUER={signs_as!r} is none of the issuers {sorted(ISSUER_ROLES)}")
    return Keys.of(signing, verifying, issuers, signs_as)


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
