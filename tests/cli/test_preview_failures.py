"""preview when a dependency fails: Graph refusing us is exit 2 `error (source): …`, Table Storage
refusing our key is exit 2 `error (storage): …`; one line each, no traceback, no GoTo request."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from provisioning.cli.preview import preview
from sandbox.azurite import ACCOUNT
from sandbox.world import World

WRONG_KEY = base64.b64encode(b"not the account key of this Azurite").decode()


async def _run(capsys: pytest.CaptureFixture[str], env: dict[str, str], user: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(preview, user, None, diff=False, as_json=True, environ=env)
    out, err = capsys.readouterr()
    return code, out, err


async def test_graph_refusing_the_token_is_a_source_error(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.seed_demo_tenant(users=6, groups=1)
    user = world.graph.tenant.users()[0]["id"]
    code, out, err = await _run(capsys, world.env(GRAPH_ACCESS_TOKEN="not-the-sandbox-token"), user)
    assert code == 2 and err.startswith("error (source): ") and err.count("\n") == 1
    assert "not-the-sandbox-token" not in err + out
    assert json.loads(out)["errorKind"] == "source"
    assert world.goto.counters.total() == 0


async def test_table_storage_refusing_the_key_is_a_storage_error(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.seed_demo_tenant(users=6, groups=1)
    user = world.graph.tenant.users()[0]["id"]
    refused = (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={WRONG_KEY};"
        f"TableEndpoint={world.azurite.endpoint};"
    )
    code, out, err = await _run(capsys, world.env(AzureWebJobsStorage=refused), user)
    assert code == 2 and err.startswith("error (storage): Table Storage failed: ") and err.count("\n") == 1
    assert WRONG_KEY not in err + out
    assert json.loads(out)["errorKind"] == "storage"
    assert world.goto.counters.total() == 0
