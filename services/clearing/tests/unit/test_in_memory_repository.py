"""The in-memory fake keeps the repository contract, so tests over it mean something."""

from __future__ import annotations

import pytest

from services.clearing.tests.unit.fakes import DuplicateKey, InMemoryClearingRepository
from services.clearing.tests.unit.repository_contract import ClearingRepositoryContract


class TestInMemoryClearingRepository(ClearingRepositoryContract):
    duplicate_key_error = DuplicateKey

    @pytest.fixture
    def store(self) -> InMemoryClearingRepository:
        return InMemoryClearingRepository()
