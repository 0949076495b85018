"""POST /api/test-connection's gotoLicenses check against the GoTo simulator: not configured calls
nothing; configured lists the account's licenses; a token without identity: says to add it to
GOTO_OAUTH_SCOPE; a mapped key the account lacks fails the check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sandbox.world import World, environment
from tests.fixtures.functions import Caller

MAPPING = """version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
licenses:
  Meetings: [%s]
"""


def _licenses_check(body: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in body["checks"] if c["name"] == "gotoLicenses")


@pytest.fixture
def licensed(world: World, tmp_path: Path) -> dict[str, str]:
    """MAPPINGS_FILE maps a role to L-PRO; the simulator's account has it."""
    world.goto.licenses.add_license("L-PRO", products=("G2M",), seats=10)
    world.goto.licenses.add_license("L-OFF", seats=2, enabled=False)
    mapping = tmp_path / "mappings.yaml"
    mapping.write_text(MAPPING % "L-PRO", encoding="utf-8")
    return {"MAPPINGS_FILE": str(mapping), "GOTO_ADMIN_BASE_URL": world.goto.admin_base_url}


async def test_not_configured_says_so_and_calls_nothing(
    call: Caller, world: World, api_env: dict[str, str]
) -> None:
    with environment({"GOTO_ADMIN_BASE_URL": world.goto.admin_base_url}):
        status, body = await call("test_connection")

    check = _licenses_check(body)
    assert status == 200 and check["ok"] is True
    assert "licenses are not configured" in check["detail"]
    assert world.goto.admin_requests() == 0


async def test_configured_lists_the_licenses(
    call: Caller, world: World, api_env: dict[str, str], licensed: dict[str, str]
) -> None:
    with environment(licensed):
        status, body = await call("test_connection")

    check = _licenses_check(body)
    assert status == 200, body
    assert check["ok"] is True and "Admin API reachable" in check["detail"]
    assert "L-PRO (G2M, 0/10 seats)" in check["detail"] and "L-OFF" in check["detail"]
    assert world.goto.admin_requests() == 1


async def test_a_token_without_identity_scope_says_to_add_it(
    call: Caller, world: World, api_env: dict[str, str], licensed: dict[str, str]
) -> None:
    token = world.goto.oauth.issue(scope="identity:scim.org")["access_token"]
    with environment({**licensed, "GOTO_ACCESS_TOKEN": token}):
        status, body = await call("test_connection")

    check = _licenses_check(body)
    assert status == 424 and check["ok"] is False
    assert "403" in check["error"]
    assert (
        "GOTO_OAUTH_SCOPE" in check["hint"]
        and "identity:" in check["hint"]
        and "re-authorize" in check["hint"]
    )
    assert next(c for c in body["checks"] if c["name"] == "gotoScimRead")["ok"] is True  # SCIM still works
    assert token not in str(body)


@pytest.fixture
def lacking(licensed: dict[str, str]) -> dict[str, str]:
    """The same, but the file also maps L-GONE, which the account does not have."""
    Path(licensed["MAPPINGS_FILE"]).write_text(MAPPING % "L-GONE, L-PRO", encoding="utf-8")
    return licensed


async def test_a_mapped_key_the_account_lacks_fails_the_check(
    call: Caller, world: World, api_env: dict[str, str], lacking: dict[str, str]
) -> None:
    with environment(lacking):
        status, body = await call("test_connection")

    check = _licenses_check(body)
    assert status == 424 and check["ok"] is False
    assert "L-GONE" in check["error"] and "python -m provisioning licenses" in check["hint"]


async def test_an_unreachable_admin_api_fails_with_the_setting_named(
    call: Caller, world: World, api_env: dict[str, str], licensed: dict[str, str]
) -> None:
    with environment({**licensed, "GOTO_ADMIN_BASE_URL": world.goto.url + "/nowhere"}):
        status, body = await call("test_connection")

    check = _licenses_check(body)
    assert status == 424 and check["ok"] is False and "GOTO_ADMIN_BASE_URL" in check["hint"]
