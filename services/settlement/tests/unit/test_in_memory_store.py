"""The store contract against the in-memory store the service layer's unit tests run on."""

from __future__ import annotations

from typing import Any

import pytest

from services.settlement.tests.unit.fakes import DuplicateKey, InMemorySettlementStore
from services.settlement.tests.unit.store_contract import StoreContract


class TestInMemoryStore(StoreContract):
    duplicate_key_error = DuplicateKey

    @pytest.fixture
    def open_store(self):
        state: dict[str, Any] = {}

        async def open_store(claims):
            return InMemorySettlementStore(state)
        return open_store
