from __future__ import annotations

import pytest

from libs.messaging.fakes import FakeDatabase
from libs.retry import RetryPolicy
from services.clearing.domain import MONTHLY
from services.clearing.service_layer.service import ClearingService
from services.clearing.tests.unit.builders import at
from services.clearing.tests.unit.fakes import Clock, FakeSettlementRecords, InMemoryClearingRepository


@pytest.fixture
def repo() -> InMemoryClearingRepository:
    return InMemoryClearingRepository()


@pytest.fixture
def clock() -> Clock:
    return Clock(at(1, 10))


@pytest.fixture
def settlement() -> FakeSettlementRecords:
    return FakeSettlementRecords()


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def service(
    database: FakeDatabase, repo: InMemoryClearingRepository, settlement: FakeSettlementRecords, clock: Clock,
) -> ClearingService:
    """The service layer over the fakes: one in-memory store behind every transaction."""
    return ClearingService(database, lambda conn, *, locks: repo, settlement, clock=clock, calendar=MONTHLY,
                           retry=RetryPolicy(attempts=3, first_delay=0.0))
