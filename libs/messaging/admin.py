"""The broker's administration, as the admin principal: SCRAM users, ACLs, topics.

    python -m libs.messaging.admin      # make up: every principal's SCRAM credential from the secrets
                                        # file, the ACL table (libs/messaging/acl.py), missing topics

Users and ACLs go through confluent-kafka's admin client (aiokafka has no API for either); topics
through aiokafka like the rest of the platform. A test namespace gets its own prefixed topics and the
literal ACLs for them (`ensure_topics(..., acls=True)`); `delete_topics` removes both.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Mapping
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from libs.contracts.topics import ALL_TOPICS
from libs.messaging.acl import ADMIN, PRINCIPALS, Acl, acls
from libs.messaging.connection import client_options
from libs.settings import KafkaCredentials, StackSettings, kafka_password_of

SCRAM_ITERATIONS = 8192


def admin_credentials() -> KafkaCredentials:
    return KafkaCredentials.of(ADMIN)


def _confluent_admin(bootstrap: str, credentials: KafkaCredentials) -> Any:
    from confluent_kafka.admin import AdminClient

    config: dict[str, str | int | float | bool] = {
        "bootstrap.servers": bootstrap, "client.id": "platform-admin",
        "security.protocol": credentials.security_protocol, "sasl.mechanism": credentials.mechanism,
        "sasl.username": credentials.username, "sasl.password": credentials.password,
        "reconnect.backoff.ms": 500, "reconnect.backoff.max.ms": 5000,
        "log_level": 4,  # librdkafka's notices ("Purging 1 unserved events" at close) are not ours to print
    }
    if credentials.ca_file:
        config["ssl.ca.location"] = credentials.ca_file
    return AdminClient(config)


def _call(bootstrap: str, credentials: KafkaCredentials, method: str, *args: Any, timeout: float = 30.0) -> Any:
    """One admin request, waited for (the client must outlive its futures: librdkafka cancels them)."""
    client = _confluent_admin(bootstrap, credentials)
    futures = getattr(client, method)(*args)
    if isinstance(futures, Mapping):
        return [f.result(timeout=timeout) for f in futures.values()]
    if isinstance(futures, list):
        return [f.result(timeout=timeout) for f in futures]
    return futures.result(timeout=timeout)


# -- SCRAM users ---------------------------------------------------------------------------------


def apply_scram_credentials(passwords: Mapping[str, str], *, bootstrap: str | None = None,
                            admin_password: str | None = None) -> None:
    """Create or replace each principal's SCRAM-SHA-512 credential (`{principal: password}`).
    `admin_password`: the one the broker knows now (a rotation changes admin's own)."""
    from confluent_kafka.admin import ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

    bootstrap = bootstrap or StackSettings().kafka_bootstrap
    creds = admin_credentials()
    if admin_password is not None:
        creds = KafkaCredentials(ADMIN, admin_password, creds.security_protocol, creds.mechanism, creds.ca_file)
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upserts = [UserScramCredentialUpsertion(user, info, password.encode()) for user, password in passwords.items()]
    _call(bootstrap, creds, "alter_user_scram_credentials", upserts)


def ensure_users(bootstrap: str) -> list[str]:
    """Every principal's credential as the secrets file has it (idempotent: same password, new salt)."""
    passwords = {p: kafka_password_of(p) for p in PRINCIPALS}
    apply_scram_credentials(passwords, bootstrap=bootstrap)
    return list(passwords)


# -- ACLs ------------------------------------------------------------------------------------------


def _binding(acl: Acl, *, as_filter: bool = False) -> Any:
    from confluent_kafka.admin import (
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    return (AclBindingFilter if as_filter else AclBinding)(
        ResourceType.TOPIC if acl.resource == "topic" else ResourceType.GROUP, acl.name,
        ResourcePatternType.LITERAL if acl.pattern == "literal" else ResourcePatternType.PREFIXED,
        acl.kafka_principal, "*", AclOperation[acl.operation.upper()], AclPermissionType.ALLOW,
    )


def _from_binding(b: Any) -> Acl:
    return Acl(b.principal.removeprefix("User:"), b.restype.name.lower(), b.name, b.resource_pattern_type.name.lower(),
               b.operation.name.lower())


def create_acls(bootstrap: str, entries: list[Acl]) -> None:
    if entries:
        _call(bootstrap, admin_credentials(), "create_acls", [_binding(a) for a in entries])


def delete_acls(bootstrap: str, entries: list[Acl]) -> None:
    if entries:
        _call(bootstrap, admin_credentials(), "delete_acls", [_binding(a, as_filter=True) for a in entries])


def describe_acls(bootstrap: str) -> list[Acl]:
    """Every ALLOW entry on topics and groups the broker holds (for the matrix test and operators)."""
    from confluent_kafka.admin import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    # None: any name, principal, host (the library's documented filter; its stubs say str)
    flt = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,  # type: ignore[arg-type]
                           AclOperation.ANY, AclPermissionType.ANY)
    found = _call(bootstrap, admin_credentials(), "describe_acls", flt)
    return sorted(_from_binding(b) for b in found)


NAMESPACE = re.compile(r"^t[0-9a-f]{8}\.")  # a test namespace's names (tests/support/stack.py)


def platform_acls_held(bootstrap: str) -> set[Acl]:
    """The platform's own entries on the broker: those of its principals, not of a test namespace."""
    return {a for a in describe_acls(bootstrap) if a.principal in PRINCIPALS and not NAMESPACE.match(a.name)}


def sync_acls(bootstrap: str) -> tuple[list[Acl], list[Acl]]:
    """Make the broker hold exactly the table for the platform's topics: add what is missing, remove
    what the table no longer grants (a revoked grant must not linger). Returns (added, removed)."""
    wanted, held = set(acls()), platform_acls_held(bootstrap)
    added, removed = sorted(wanted - held), sorted(held - wanted)
    create_acls(bootstrap, added)
    delete_acls(bootstrap, removed)
    return added, removed


def ensure_security(bootstrap: str) -> None:
    """What `make up` and a test session need before any service connects: users and the ACL table."""
    ensure_users(bootstrap)
    sync_acls(bootstrap)


# -- topics ----------------------------------------------------------------------------------------


def _aio_admin(bootstrap: str) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="topic-admin",
                               **client_options(admin_credentials()))


async def ensure_topics(bootstrap: str, prefix: str = "", *, namespace_acls: bool = False) -> list[str]:
    """Create the missing topics (`prefix` + every topic); `namespace_acls`: and the ACL table's
    entries for these prefixed names (a test namespace)."""
    admin = _aio_admin(bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in ALL_TOPICS if prefix + t.name not in existing]
        if missing:
            await admin.create_topics([NewTopic(prefix + t.name, t.partitions, 1) for t in missing])
    finally:
        await admin.close()
    if namespace_acls:
        entries = acls(prefix, wildcards=False)
        await asyncio.to_thread(create_acls, bootstrap, entries)
        await _until_held(bootstrap, entries)
    return [prefix + t.name for t in missing]


async def _until_held(bootstrap: str, entries: list[Acl], timeout_s: float = 30.0) -> None:
    """Wait until the broker's authorizer holds `entries`: the controller commits new ACLs before the
    broker applies them, and on a busy machine a client that connects at once was refused meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not set(entries) <= set(await asyncio.to_thread(describe_acls, bootstrap)):
        if loop.time() > deadline:
            raise TimeoutError(f"the broker did not apply {len(entries)} new ACLs within {timeout_s:.0f} s")
        await asyncio.sleep(0.1)


async def delete_topics(bootstrap: str, prefix: str) -> None:
    """Remove a namespace's topics and their ACLs (test runs clean up after themselves)."""
    if not prefix:
        raise ValueError("refusing to delete the platform's own topics")
    await asyncio.to_thread(delete_acls, bootstrap, acls(prefix, wildcards=False))
    admin = _aio_admin(bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [prefix + t.name for t in ALL_TOPICS if prefix + t.name in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


def main() -> None:
    settings = StackSettings()
    bootstrap = settings.kafka_bootstrap
    users = ensure_users(bootstrap)
    added: list[Acl]
    removed: list[Acl]
    if settings.topic_prefix:  # a second environment on a shared broker: its own names' entries
        create_acls(bootstrap, acls(settings.topic_prefix))
        added, removed = acls(settings.topic_prefix), []
    else:
        added, removed = sync_acls(bootstrap)
    created = asyncio.run(ensure_topics(bootstrap, settings.topic_prefix))
    print(f"kafka on {bootstrap}: SCRAM users {', '.join(users)}; ACLs as libs/messaging/acl.py says "
          f"({len(acls())} entries; {len(added)} added, {len(removed)} revoked); topics created {created or 'none'}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
