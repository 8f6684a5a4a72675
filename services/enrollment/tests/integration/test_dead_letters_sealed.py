"""An office's command that cannot be read, nor answered (its command id is unreadable), is parked, and
its ID number and name are sealed wherever the parked copy goes: enrollment's `dead_letters` table and
the platform's dead-letter topic."""

from __future__ import annotations

import asyncio

import asyncpg
import orjson
import pytest

from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.contracts.topics import DEAD_LETTER, ENROLLMENT_COMMANDS
from libs.pii import PiiVault
from libs.settings import secret
from services.enrollment.entrypoints.consumers import DEAD_LETTER_FIELD
from services.enrollment.tests.integration.conftest import Office
from tests.support.clients import TopicReader, new_id
from tests.support.people import register

pytestmark = pytest.mark.integration


def unreadable_registration() -> tuple[bytes, str]:
    """A registration whose command id no contract accepts, so no refusal can name it: (bytes, ID number)."""
    command = register(new_id("P"), 41, insutype="390")
    data = orjson.loads(encode(new_envelope(command, producer="test-office", correlation_id=command.command_id)))
    data["payload"]["command_id"] = "登记" * 40
    return orjson.dumps(data), command.certno


async def parked(dsn: str, timeout_s: float = 30.0) -> asyncpg.Record:
    conn = await asyncpg.connect(dsn)
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while (row := await conn.fetchrow("SELECT value, reason FROM dead_letters WHERE consumer ="
                                          " 'enrollment-enrollment.commands' ORDER BY id DESC LIMIT 1")) is None:
            assert asyncio.get_running_loop().time() < deadline, "the command was not parked"
            await asyncio.sleep(0.1)
        return row
    finally:
        await conn.close()


async def test_a_parked_registration_shows_neither_id_number_nor_name_in_the_table_or_on_the_topic(office: Office) -> None:
    raw, certno = unreadable_registration()
    name = orjson.loads(raw)["payload"]["psn_name"]
    await office.publisher.send_raw(ENROLLMENT_COMMANDS, orjson.loads(raw)["payload"]["psn_no"], raw)
    await office.publisher.flush()
    row = await parked(office.namespace.dsn("enrollment"))
    stored = bytes(row["value"])
    assert certno.encode() not in stored and name.encode() not in stored and certno not in row["reason"]
    vault = PiiVault.from_settings(secret("PII_ENCRYPTION_KEY"), secret("PII_HASH_KEY"))
    assert vault.open_bytes(DEAD_LETTER_FIELD, stored) == raw  # the operator's replay gets the bytes back

    env = office.namespace.env
    async with TopicReader(env["KAFKA_BOOTSTRAP"], office.namespace.topic_prefix, DEAD_LETTER,
                           decode_envelopes=False) as letters:
        await letters.wait_for(lambda: any(r.value == stored for r in letters.raw), timeout=30)
        assert not any(certno.encode() in (r.value or b"") for r in letters.raw)
