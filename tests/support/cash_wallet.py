"""A stand-in wallet for tests of settlement or clearing alone: every personal part is paid in cash.

It answers each ClaimAdjudicated with PersonalPartPaid (all cash) and each
ClaimCancellationAdjudicated with PersonalPartRefunded, on the real Kafka; for a patient whose
`psn_no` starts with REFUSE it answers PersonalPartRefused instead, as a wallet that cannot pay.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer

from libs.contracts import claims as c
from libs.contracts.registry import decode
from libs.contracts.topics import CLAIMS_ADJUDICATED, WALLET_PAYMENTS
from libs.contracts.wallet import PersonalPartRefused
from libs.messaging.connection import client_options, credentials_of
from tests.support.clients import Publisher

REFUSING = "REFUSE"


async def cash_wallet(bootstrap_servers: str, prefix: str, publisher: Publisher) -> None:
    consumer = AIOKafkaConsumer(prefix + CLAIMS_ADJUDICATED.name, bootstrap_servers=bootstrap_servers,
                                group_id=f"{prefix}wallet-cash", auto_offset_reset="earliest",
                                **client_options(credentials_of("wallet")))  # it plays the wallet
    await consumer.start()
    try:
        async for record in consumer:
            p = decode(record.value).payload
            answer: PersonalPartRefused | c.PersonalPartPaid | c.PersonalPartRefunded
            if p.psn_no.startswith(REFUSING):
                answer = PersonalPartRefused(claim_id=p.claim_id, setl_id=p.setl_id, psn_no=p.psn_no,
                                             cancel_id=getattr(p, "cancel_id", None), reason_code="CLAIM_MISMATCH",
                                             reason="the test wallet refuses this patient")
            elif isinstance(p, c.ClaimAdjudicated):
                answer = c.PersonalPartPaid(claim_id=p.claim_id, setl_id=p.setl_id, psn_no=p.psn_no, acct_pay=0,
                                            acct_mulaid_pay=0, psn_cash_pay=p.psn_part_amt, balc=0)
            else:
                answer = c.PersonalPartRefunded(claim_id=p.claim_id, cancel_id=p.cancel_id, setl_id=p.setl_id,
                                                psn_no=p.psn_no, acct_pay=0, acct_mulaid_pay=0, psn_cash_pay=0, balc=0)
            await publisher.send(WALLET_PAYMENTS, p.psn_no, answer, p.claim_id)
    finally:
        await consumer.stop()
