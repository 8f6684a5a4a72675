"""The gateway's Postgres store on the real server: nonces, sign-ins, visits, settlements (credentials and
e-vouchers: test_credentials_pg.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from libs.pii import new_key
from services.gateway.adapters.credentials import PgCredentials, secret_sealer
from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.domain.line_split import CatalogueEntry, split_line
from services.gateway.domain.visit import OUTPATIENT, FeeLine, Person, Visit
from services.gateway.tests.integration.database import migrated_connection

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(namespace) -> AsyncIterator[PgGatewayStore]:
    conn = await migrated_connection(namespace)
    tx = conn.transaction()
    await tx.start()
    try:
        yield PgGatewayStore(conn)
    finally:
        await tx.rollback()
        await conn.close()


async def test_a_nonce_is_accepted_once(store) -> None:
    assert await store.remember_nonce("app", "n-0001", timedelta(minutes=5))
    assert not await store.remember_nonce("app", "n-0001", timedelta(minutes=5))
    assert await store.remember_nonce("other-app", "n-0001", timedelta(minutes=5))


async def test_a_sign_in_is_valid_for_its_institution_only(store) -> None:
    await PgCredentials(store.conn, secret_sealer(new_key())).register_institution("H1", "一院", "3", "371300")
    sign_no, at = await store.sign_in("H1", "0007")
    assert await store.signed_in("H1", sign_no, at - timedelta(seconds=1))
    assert not await store.signed_in("H2", sign_no, at - timedelta(seconds=1))
    assert not await store.signed_in("H1", sign_no, at + timedelta(seconds=1))


async def test_a_visit_and_its_lines_come_back_exactly(store) -> None:
    visit = Visit("H1", await store.new_mdtrt_id(), OUTPATIENT, "P1", "310", "11", datetime(2026, 12, 5, 9), "371300",
                  "371300", "02", "OP1", Person("P1", "371302********1234", "张*", "1", 40, "11", "371300"),
                  national_med_type="11")
    await store.save_visit(visit, new=True)
    line = FeeLine("L1", "B1", "X1", "X1", Decimal("1.0000"), Decimal("4.520000"), 452, datetime(2026, 12, 5, 9, 5))
    line = FeeLine(**{**line.__dict__, "split": split_line(452, line.cnt, CatalogueEntry("X1", "2", Decimal("0.05"), None))})
    await store.save_lines(visit, [line])
    again = await store.visit("H1", visit.mdtrt_id)
    assert again.person == visit.person and again.begntime == visit.begntime
    assert again.lines["L1"] == line
    await store.mark_lines(visit, ["L1"], "C1")
    assert (await store.visit("H1", visit.mdtrt_id)).lines["L1"].claim_id == "C1"


async def test_a_settlement_is_found_by_setl_id_and_in_its_period(store) -> None:
    await store.start_settlement("C1", "H1", "300000001", "B1", "M1", "2207", "{}")
    await store.finish_settlement("C1", "settled", setl_id="S1", setlinfo={"setlinfo": {"medfee_sumamt": 452}},
                                  setl_time=datetime(2026, 12, 5, 10))
    found = await store.settlement_by_setl_id("H1", "S1")
    assert found["claim_id"] == "C1" and found["setlinfo"]["setlinfo"]["medfee_sumamt"] == 452
    period = await store.settlements_between("H1", datetime(2026, 12, 5), datetime(2026, 12, 6))
    assert [s["claim_id"] for s in period] == ["C1"]
    await store.start_settlement("C1", "H1", "300000001", "B1", "M2", "2207", "{}")  # settled: left as it is
    assert (await store.settlement("C1"))["msgid"] == "M1"


async def test_a_file_is_read_by_its_institution_only_and_only_until_it_expires(store) -> None:
    await PgCredentials(store.conn, secret_sealer(new_key())).register_institution("H1", "一院", "3", "371300")
    now = datetime.now(UTC)
    await store.save_file("H1", "U1", "upload", "detail.txt.zip", b"PK\x03\x04...", now + timedelta(hours=1))
    found = await store.file("H1", "U1", now)
    assert found.content == b"PK\x03\x04..." and found.kind == "upload" and found.filename == "detail.txt.zip"
    assert await store.file("H2", "U1", now) is None
    assert await store.file("H1", "U1", now + timedelta(hours=2)) is None
    assert await store.purge_files(now + timedelta(hours=2)) == 1


async def test_the_periods_entries_carry_the_msgid_of_the_cancellation(store) -> None:
    info = {"setlinfo": {"psn_no": "P1", "clr_type": "11", "medfee_sumamt": 452, "fund_pay_sumamt": 0, "acct_pay": 452,
                         "psn_cash_pay": 0}}
    await store.start_settlement("C1", "H1", "300000001", "B1", "M1", "2207", "{}")
    await store.finish_settlement("C1", "settled", setl_id="S1", setlinfo=info, setl_time=datetime(2026, 12, 5, 10))
    await store.save_message("H1", "M-CANCEL", "2208", "hash", reply=None, claim_id="C1")
    await store.finish_settlement("C1", "cancelled", cancel_time=datetime(2026, 12, 6, 9))
    [entry] = await store.statement_entries("H1", datetime(2026, 12, 5), datetime(2026, 12, 7), 10)
    assert (entry["setl_id"], entry["msgid"], entry["cancel_msgid"], entry["medfee_sumamt"]) == ("S1", "M1", "M-CANCEL", 452)
    assert await store.statement_entries("H1", datetime(2026, 12, 7), datetime(2026, 12, 8), 10) == []
