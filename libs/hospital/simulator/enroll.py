"""The enrollment office's side of the simulation: register the population, credit accounts.

Registration goes through `RegisterPerson` on `enrollment.commands`, credits through
`CreditPersonalAccount` on `wallet.commands`, both keyed by `psn_no`. Both are idempotent (by
`command_id` / `credit_id`), so starting the simulator again re-sends them harmlessly.

Filings (异地就医备案), chronic-disease approvals and special-drug designations are sent only when the
contracts define them (`optional_command`): the simulator keeps working as enrollment grows.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

from pydantic import ValidationError

from libs.contracts.envelope import Payload, new_envelope
from libs.contracts.registry import PAYLOAD_TYPES, encode
from libs.contracts.topics import ENROLLMENT_COMMANDS, WALLET_COMMANDS
from libs.hospital.client import HospitalClient, OutcomeTimeout
from libs.hospital.simulator.population import Person, Population
from libs.messaging.connection import ActingProducer

REGISTERED_ON = date(2020, 1, 1)


def optional_command(event_type: str, **fields: Any) -> Payload | None:
    """`event_type` built from the fields its contract has, or None if there is no such contract (yet)."""
    model = PAYLOAD_TYPES.get(event_type)
    if model is None:
        return None
    try:
        return model.model_validate({k: v for k, v in fields.items() if k in model.model_fields})
    except ValidationError:
        return None


def office_commands(person: Person, year: int) -> list[tuple[Any, Payload]]:
    commands: list[tuple[Any, Payload | None]] = [(ENROLLMENT_COMMANDS, person.enrollment(REGISTERED_ON))]
    if person.cross_region and person.filed:
        commands.append((ENROLLMENT_COMMANDS, optional_command(
            "FileCrossRegionTreatment", command_id=f"filing-{person.psn_no}", psn_no=person.psn_no,
            filing_id=f"BA{person.psn_no}", kind="long_term_residence", treatment_area=person.home_region,
            mdtrtarea_admvs=person.home_region, filed_on=REGISTERED_ON, begndate=REGISTERED_ON)))
    if person.chronic_disease:
        commands.append((ENROLLMENT_COMMANDS, optional_command(
            "ApproveChronicDisease", command_id=f"chronic-{person.psn_no}", psn_no=person.psn_no,
            disease_code=person.chronic_disease, opsp_dise_code=person.chronic_disease,
            valid_from=REGISTERED_ON, begndate=REGISTERED_ON)))
    if person.special_drug:
        d = person.special_drug
        commands.append((ENROLLMENT_COMMANDS, optional_command(
            "DesignateSpecialDrug", command_id=f"special-{person.psn_no}", psn_no=person.psn_no,
            med_list_codg=d.med_list_codg, hospital_codes=[d.hospital], pharmacy_codes=[d.pharmacy],
            bilg_dr_codg=d.doctor, begndate=REGISTERED_ON)))
    commands.append((WALLET_COMMANDS, person.credit(year)))
    return [(topic, payload) for topic, payload in commands if payload is not None]


async def enroll(bootstrap: str, topic_prefix: str, population: Population, year: int) -> int:
    """Publish every person's registration (as the offices) and credit (as admin tooling: no principal
    may credit accounts, libs/messaging/acl.py); return how many messages were sent."""
    producer = ActingProducer(bootstrap, acks="all", linger_ms=10, enable_idempotence=True)
    sent = 0
    try:
        for person in population.people:
            for topic, payload in office_commands(person, year):
                env = new_envelope(payload, producer="simulated-office", correlation_id=f"office-{person.psn_no}")
                await producer.send(topic, topic_prefix + topic.name, encode(env), key=person.psn_no.encode())
                sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def wait_until_insured(client: HospitalClient, probes: list[Any], timeout: float = 120.0) -> bool:
    """Pre-settle each probe (claims of the last people registered) until the platform knows them all."""
    deadline = time.monotonic() + timeout
    waiting = list(probes)
    while waiting and time.monotonic() < deadline:
        try:
            outcome = await client.presettle(waiting[0], timeout=max(1.0, min(10.0, deadline - time.monotonic())))
            if outcome.reason_code != "NOT_INSURED":
                waiting.pop(0)
                continue
        except OutcomeTimeout:
            pass
        await asyncio.sleep(1.0)
    return not waiting
