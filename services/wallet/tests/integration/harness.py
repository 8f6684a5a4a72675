"""The wallet service in-process on the real Kafka and Postgres, as its integration tests see it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import asyncpg
import httpx

from libs.china_time import CHINA_TIME
from libs.contracts import claims as c
from libs.contracts import wallet as w
from libs.contracts.enrollment import CoverageChanged
from libs.contracts.envelope import Payload
from libs.contracts.topics import CLAIMS_ADJUDICATED, ENROLLMENT_EVENTS, WALLET_COMMANDS, Topic
from tests.support.clients import Publisher, TopicReader, new_id
from tests.support.stack import Namespace


class Clock:
    """The wallet's clock in these tests: a fixed China daytime unless a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


DAYTIME = datetime(2026, 11, 23, 10, 0, tzinfo=CHINA_TIME)
REGION = "430100"


class Wallet:
    """The wallet service running in-process, seen from enrollment, settlement and a holder's app."""

    def __init__(self, ns: Namespace, publisher: Publisher, events: TopicReader, payments: TopicReader,
                 http: httpx.AsyncClient, clock: Clock, db: asyncpg.Pool) -> None:
        self.ns, self.publisher, self.events, self.payments = ns, publisher, events, payments
        self.http, self.clock, self.db = http, clock, db

    async def enroll(self, psn_no: str, *, insutype: str = "310", active: bool = True) -> None:
        await self.publisher.send(ENROLLMENT_EVENTS, psn_no, CoverageChanged(
            psn_no=psn_no, version=1, insutype=insutype, insuplc_admdvs=REGION, gend="1", age=40, active=active,
            coverage_begin=date(2020, 1, 1)), f"enroll-{psn_no}")
        await self.publisher.flush()
        await self.until(lambda: self.db.fetchval("SELECT 1 FROM persons WHERE psn_no = $1", psn_no))

    async def credit(self, psn_no: str, amount: int) -> Any:
        return await self.command(w.CreditPersonalAccount(
            credit_id=new_id("CR"), psn_no=psn_no, amount=amount, kind="contribution", year=2026))

    async def bind(self, holder: str, relative: str, *uses: str) -> Any:
        return await self.command(w.BindRelative(command_id=new_id("B"), psn_no=holder, relative_psn_no=relative,
                                                 relation="spouse", uses=list(uses or ("medical", "premium"))))

    async def command(self, payload: Payload) -> Any:
        """Send a command on wallet.commands and return the wallet's answer on wallet.events."""
        key = payload.psn_no  # type: ignore[attr-defined]  # every command has it; Payload does not say
        return await self._ask(WALLET_COMMANDS, key, payload, _id_of(payload), self.events)

    async def settle(self, payload: c.ClaimAdjudicated | c.ClaimCancellationAdjudicated) -> Any:
        """Play settlement: send on settlement.adjudicated, return the answer on wallet.payments."""
        return await self._ask(CLAIMS_ADJUDICATED, payload.psn_no, payload, payload.claim_id, self.payments)

    async def balances(self, psn_no: str) -> w.AccountBalances:
        response = await self.http.get(f"/v1/accounts/{psn_no}")
        assert response.status_code == 200, response.text
        return w.AccountBalances.model_validate(response.json())

    async def postings_of(self, *psn_nos: str) -> int:
        return await self.db.fetchval(
            "SELECT count(DISTINCT posting_seq) FROM posting_lines WHERE psn_no = ANY($1::text[])", list(psn_nos))

    async def until(self, condition: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while not (found := await condition()):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the wallet did not get there in time")
            await asyncio.sleep(0.02)
        return found

    async def _ask(self, topic: Topic, key: str, payload: Payload, correlation: str, answers: TopicReader) -> Any:
        seen = len(answers.by_correlation.get(correlation, []))
        await self.publisher.send(topic, key, payload, correlation)
        await self.publisher.flush()
        await answers.wait_for(lambda: len(answers.by_correlation.get(correlation, [])) > seen, timeout=30)
        return answers.by_correlation[correlation][seen].payload


def _id_of(payload: Payload) -> str:
    for field in ("command_id", "transfer_id", "payment_id", "credit_id"):
        if hasattr(payload, field):
            return getattr(payload, field)
    raise ValueError(f"{payload.event_type} has no id")
