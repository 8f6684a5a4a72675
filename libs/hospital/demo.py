"""`make demo`: enroll one person, credit their account, submit a claim and print the reply."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from aiokafka import AIOKafkaProducer

from libs.contracts.claims import ClaimSubmitted, FeeLine
from libs.contracts.enrollment import RegisterPerson
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.contracts.topics import ENROLLMENT_COMMANDS, WALLET_COMMANDS
from libs.contracts.wallet import CreditPersonalAccount
from libs.hospital.client import HospitalClient
from libs.money import line_amount
from libs.resident_id import with_check_character
from libs.settings import StackSettings

HOSPITAL = "H43010001"


def demo_certno() -> str:
    """A fictitious resident ID with a valid check character, different on every run."""
    born = date(1985, 1, 1) + timedelta(days=random.randrange(3650))
    return with_check_character(f"430102{born:%Y%m%d}{random.randrange(0, 999, 2) + 1:03d}")


async def enroll(bootstrap: str, prefix: str, psn_no: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        certno = demo_certno()
        brdy = date(int(certno[6:10]), int(certno[10:12]), int(certno[12:14]))
        reg = RegisterPerson(command_id=f"demo-{psn_no}", psn_no=psn_no, certno=certno, psn_name="演示",
                             gend="1", brdy=brdy, insutype="310", insuplc_admdvs="430100",
                             emp_status="employed", begndate=date(2020, 1, 1))
        credit = CreditPersonalAccount(credit_id=f"demo-{psn_no}", psn_no=psn_no, amount=500_00,
                                       kind="contribution", year=datetime.now().year)
        for topic, payload in ((ENROLLMENT_COMMANDS, reg), (WALLET_COMMANDS, credit)):
            env = new_envelope(payload, producer="demo-office", correlation_id=f"demo-{psn_no}")
            await producer.send_and_wait(prefix + topic.name, encode(env), key=psn_no.encode())
    finally:
        await producer.stop()


def demo_claim(psn_no: str) -> ClaimSubmitted:
    lines = [("XC01", Decimal("35.50"), Decimal("2")), ("FW01", Decimal("120.00"), Decimal("1"))]
    return ClaimSubmitted(
        claim_id=f"demo-{uuid.uuid4().hex[:10]}", action="settle", fixmedins_code=HOSPITAL, hosp_lv="3",
        mdtrt_id="V-demo", psn_no=psn_no, insutype="310", med_type="11", insuplc_admdvs="430100",
        mdtrtarea_admvs="430100", begntime=datetime.now(),
        fee_details=[FeeLine(feedetl_sn=str(i), med_list_codg=c, cnt=n, pric=p, det_item_fee_sumamt=line_amount(n, p))
                     for i, (c, p, n) in enumerate(lines, 1)],
    )


async def main() -> None:
    settings = StackSettings()
    psn_no = f"DEMO{uuid.uuid4().hex[:8].upper()}"
    await enroll(settings.kafka_bootstrap, settings.topic_prefix, psn_no)
    print(f"enrolled {psn_no} and credited 500.00 yuan to their personal account")
    async with HospitalClient(settings.kafka_bootstrap, HOSPITAL, settings.topic_prefix) as client:
        for _ in range(10):  # enrollment reaches settlement's projection within moments
            claim = demo_claim(psn_no)
            print(f"submitting claim {claim.claim_id} at {HOSPITAL}...")
            outcome = await client.submit(claim)
            if getattr(outcome.payload, "reason_code", None) != "NOT_INSURED":
                break
            await asyncio.sleep(1.0)
    print(json.dumps({"event_type": outcome.event_type, **outcome.payload.model_dump(mode="json")},
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
