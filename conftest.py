"""Fixtures every test folder shares: the servers (see tests/support/stack.py) and a run namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from libs.settings import StackSettings
from tests.support.auth import ensure_test_keys
from tests.support.stack import Namespace, servers


def pytest_configure(config: pytest.Config) -> None:
    """Tokens in tests are signed with a throw-away key (tests/support/auth.py), set before collection."""
    ensure_test_keys()


@pytest.fixture(scope="session")
def stack() -> Iterator[StackSettings]:
    with servers() as settings:
        yield settings


@pytest.fixture(scope="session")
async def namespace(stack: StackSettings) -> AsyncIterator[Namespace]:
    ns = Namespace(stack)
    await ns.create()
    yield ns
    await ns.drop()


@pytest.fixture(scope="module")
async def own_namespace(stack: StackSettings) -> AsyncIterator[Namespace]:
    """A namespace for one test module alone, for tests that count everything on a topic or a table."""
    ns = Namespace(stack)
    await ns.create()
    yield ns
    await ns.drop()
