"""API tests run the real Function app object against Azurite and both simulators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.world import World, environment


@pytest.fixture
def api_env(world: World) -> Iterator[dict[str, str]]:
    """The Function app's settings point at this test's world."""
    values = world.env(GOTO_RATE_LIMIT_PER_SECOND="1000")
    with environment(values):
        yield values
