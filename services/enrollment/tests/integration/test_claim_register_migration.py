"""Migration 002 on a stream written before the register: its per-claim records enter the register."""

from __future__ import annotations

import asyncpg
import orjson
import pytest

from services.enrollment.bootstrap import MIGRATIONS

pytestmark = pytest.mark.integration


def legacy(psn_no: str, seq: int, event_type: str, data: dict[str, object], command_id: str) -> tuple[object, ...]:
    return psn_no, seq, event_type, orjson.dumps({"command_id": command_id, "psn_no": psn_no, **data}).decode(), command_id


async def test_claims_recorded_before_the_register_are_in_it_with_their_cancellations(own_namespace) -> None:
    conn = await asyncpg.connect(own_namespace.dsn("enrollment"))
    transaction = conn.transaction()  # rolled back: the database is left as it was
    await transaction.start()
    try:
        # the schema as the first migration left it, apart from anything else in this database
        await conn.execute("CREATE SCHEMA before_register; SET LOCAL search_path = before_register")
        await conn.execute((MIGRATIONS / "001_persons.sql").read_text())
        await conn.execute("INSERT INTO persons (psn_no, certno) VALUES ('P1', 'X1')")
        await conn.executemany(
            "INSERT INTO person_events (psn_no, seq, event_type, data, command_id) VALUES ($1, $2, $3, $4, $5)", [
                legacy("P1", 1, "ReimbursementRecorded",
                       {"reimbursement": {"claim_id": "A", "settlement_year": 2024, "fund_paid": 3000}}, "ClaimSettled:A"),
                legacy("P1", 2, "ReimbursementRecorded",
                       {"reimbursement": {"claim_id": "B", "settlement_year": 2025, "fund_paid": 800}}, "ClaimSettled:B"),
                legacy("P1", 3, "ReimbursementRecorded",
                       {"reimbursement": {"claim_id": "C", "settlement_year": 2025, "fund_paid": 0}}, "ClaimSettled:C"),
                legacy("P1", 4, "ReimbursementCancelled", {"claim_id": "B"}, "ClaimCancelled:B:K7"),
            ])
        await conn.execute((MIGRATIONS / "002_claim_register.sql").read_text())
        register = await conn.fetch("SELECT claim_id, settlement_year, fund_paid, cancel_id, cancelled_at IS NOT NULL"
                                    " FROM claim_fund_payments ORDER BY claim_id")
        years = await conn.fetch("SELECT psn_no, settlement_year, fund_paid FROM fund_payment_years ORDER BY 2")
        assert [tuple(r) for r in register] == [("A", 2024, 3000, None, False), ("B", 2025, 800, "K7", True),
                                                ("C", 2025, 0, None, False)]
        assert [tuple(r) for r in years] == [("P1", 2024, 3000), ("P1", 2025, 0)]
    finally:
        await transaction.rollback()
        await conn.close()
