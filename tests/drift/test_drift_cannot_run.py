"""A drift report that cannot run is exit 2 with one line, never a traceback: a Graph token refused
while GoTo is being read (after the estimate; every read ends before the clients close), or GoTo
refusing the token at the count, before anything else is read (no estimate to tell)."""

from __future__ import annotations

import pytest

from provisioning.cli import main
from sandbox.world import World, environment


@pytest.mark.parametrize(
    ("setting", "kind", "told"),
    [("GRAPH_ACCESS_TOKEN", "source", True), ("GOTO_ACCESS_TOKEN", "credentials", False)],
)
def test_a_refused_token_is_one_line_and_exit_2(
    world: World, capsys: pytest.CaptureFixture[str], setting: str, kind: str, told: bool
) -> None:
    world.seed_demo_tenant(users=20)
    with environment(world.env(GOTO_RATE_LIMIT_PER_SECOND="1000", **{setting: "not-a-valid-token"})):
        assert main(["drift", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert lines[-1].startswith(f"error ({kind}): ") and "Traceback" not in err
    assert lines[:-1] == (
        ["reading 2 GoTo users: 2 requests at 1000/s (GOTO_RATE_LIMIT_PER_SECOND), about 0 s"] if told else []
    )
    assert "not-a-valid-token" not in out + err
