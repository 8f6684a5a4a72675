"""The store contract against the in-memory store the service-layer tests use."""

from __future__ import annotations

import pytest

from services.enrollment.tests.unit.fakes import InMemoryStore
from services.enrollment.tests.unit.store_contract import StoreContract


class TestInMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> InMemoryStore:
        return InMemoryStore({})
