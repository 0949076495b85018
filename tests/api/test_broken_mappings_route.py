"""With a broken mapping file, provisioning on demand answers 400 naming MAPPINGS_FILE and every
problem, writes nothing, and never a 500 or a traceback."""

from __future__ import annotations

from pathlib import Path

from sandbox.world import World, environment
from tests.fixtures.functions import Caller


async def test_provision_on_demand_refuses_a_broken_file(
    call: Caller, world: World, api_env: dict[str, str], tmp_path: Path
) -> None:
    seeded = world.seed_demo_tenant(users=6, groups=1)
    broken = tmp_path / "mappings.yaml"
    broken.write_text("version: 1\nusers:\n  mappings:\n    - {target: userName}\n", encoding="utf-8")
    with environment({"MAPPINGS_FILE": str(broken)}):
        status, body = await call("provision_user", route={"entraId": seeded["in_scope"][0]})
    assert status == 400, body
    assert body["error"]["field"] == "MAPPINGS_FILE" and "users.mappings[0]" in body["error"]["message"]
    assert "Traceback" not in str(body)
    assert world.goto.counters.total() == 0
