"""Enrollment handlers for the walking skeleton: register a person and publish their coverage."""

from __future__ import annotations

from datetime import date
from typing import Any

from libs.contracts import enrollment as e
from libs.contracts.envelope import Envelope
from libs.contracts.topics import ENROLLMENT_EVENTS
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction
from libs.resident_id import check_character

PRODUCER = "enrollment"


def id_number_problem(certno: str) -> str | None:
    if len(certno) != 18 or not certno[:17].isdigit():
        return "a resident ID has 17 digits followed by a digit or X"
    expected = check_character(certno[:17])
    if certno[17].upper() != expected:
        return "the ID's check character does not match its digits; please re-enter the ID"
    return None


class EnrollmentHandlers:
    def commands_table(self) -> dict[type, Any]:
        return {e.RegisterPerson: self.register_person}

    async def register_person(self, tx: Transaction, env: Envelope[e.RegisterPerson]) -> None:
        cmd = env.payload
        if await tx.conn.fetchval("SELECT 1 FROM commands WHERE command_id = $1", cmd.command_id):
            return
        problem = id_number_problem(cmd.certno)
        if problem is None and await tx.conn.fetchval("SELECT 1 FROM persons WHERE psn_no = $1", cmd.psn_no):
            problem = f"person {cmd.psn_no} is already registered"
        if problem is not None:
            await tx.conn.execute("INSERT INTO commands (command_id, kind, outcome) VALUES ($1, 'RegisterPerson', $2)",
                                  cmd.command_id, problem)
            emit(tx, ENROLLMENT_EVENTS, cmd.psn_no, e.CommandRefused(
                command_id=cmd.command_id, psn_no=cmd.psn_no, reason_code="INVALID_ID_NUMBER", reason=problem,
            ), producer=PRODUCER, correlation_id=cmd.command_id, causation=env)
            return
        coverage = e.CoverageChanged(
            psn_no=cmd.psn_no, version=1, insutype=cmd.insutype, insuplc_admdvs=cmd.insuplc_admdvs,
            gend=cmd.gend, age=_age(cmd.brdy, cmd.begndate), active=True, coverage_begin=cmd.begndate,
            retired=cmd.emp_status == "retired", emp_status=cmd.emp_status, hardship_group=cmd.hardship_group,
        )
        await tx.conn.execute(
            "INSERT INTO persons (psn_no, certno, psn_name, gend, brdy, coverage) VALUES ($1,$2,$3,$4,$5,$6::jsonb)",
            cmd.psn_no, cmd.certno, cmd.psn_name, cmd.gend, cmd.brdy, coverage.model_dump_json(),
        )
        await tx.conn.execute("INSERT INTO commands (command_id, kind, outcome) VALUES ($1, 'RegisterPerson', 'done')",
                              cmd.command_id)
        emit(tx, ENROLLMENT_EVENTS, cmd.psn_no, coverage, producer=PRODUCER, correlation_id=cmd.command_id, causation=env)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
