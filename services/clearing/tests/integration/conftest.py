"""Each module that runs the clearing service gets a namespace of its own (topics and databases).

The session's namespace (conftest.py at the root) is shared by every test folder, so its
`claims.outcomes` carries what settlement's and the end-to-end tests settle; a clearing service
consuming it from the start would find those claims in its cycles. A module's own namespace holds
only what the module publishes, so its cycles hold exactly what its tests expect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from libs.settings import StackSettings
from tests.support.stack import Namespace


@pytest.fixture(scope="module")
async def own_namespace(stack: StackSettings) -> AsyncIterator[Namespace]:
    ns = Namespace(stack)
    await ns.create()
    yield ns
    await ns.drop()
