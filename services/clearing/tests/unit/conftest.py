from __future__ import annotations

import pytest

from services.clearing.tests.unit.fakes import InMemoryClearingRepository


@pytest.fixture
def repo() -> InMemoryClearingRepository:
    return InMemoryClearingRepository()
