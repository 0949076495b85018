"""`python -m provisioning licenses`: the account's licenses from the GoTo simulator's Admin API, as a
table or JSON, with the roles MAPPINGS_FILE maps to each; exit 0, or one line and exit 2 for a bad
setting, an unreachable Admin API, or a token without the identity: scope."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.cli.licenses import license_rows, licenses
from provisioning.goto_auth import FileTokenStore
from provisioning.goto_auth.settings import SANDBOX_DIR
from sandbox.world import World

MAPPING = """version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
licenses:
  Meetings: [L-PRO]
  Webinars: [L-PRO, L-MISSING]
"""


@pytest.fixture
def env(world: World, tmp_path: Path) -> dict[str, str]:
    world.goto.licenses.add_license("L-PRO", products=("G2M", "G2W"), seats=10)
    world.goto.licenses.add_license("L-FREE", seats=3, enabled=False)
    world.goto.licenses.assign("L-PRO", [world.goto.store.admin_id])
    mapping = tmp_path / "mappings.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return world.env(GOTO_ADMIN_BASE_URL=world.goto.admin_base_url, MAPPINGS_FILE=str(mapping))


async def _run(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], *, as_json: bool
) -> tuple[int, str, str]:
    code = await asyncio.to_thread(licenses, as_json=as_json, environ=env)
    out, err = capsys.readouterr()
    return code, out, err


async def test_the_table_lists_every_license_with_its_mapped_roles(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    code, out, err = await _run(capsys, env, as_json=False)

    assert code == 0, err
    pro = next(line for line in out.splitlines() if "L-PRO" in line)
    for cell in ("G2M, G2W", "10", "1", "yes", "Meetings, Webinars"):
        assert cell in pro
    free = next(line for line in out.splitlines() if "L-FREE" in line)
    assert " no " in free
    assert "L-MISSING, which this account does not have" in out


async def test_json_is_one_document(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], world: World
) -> None:
    code, out, _ = await _run(capsys, env, as_json=True)

    document = json.loads(out)
    assert code == 0
    assert document["accountKey"] == "4201337000000000042"
    assert document["licenses"][0] == {
        "key": "L-PRO",
        "products": ["G2M", "G2W"],
        "seats": 10,
        "users": 1,
        "enabled": True,
        "roles": ["Meetings", "Webinars"],
    }
    assert document["unknownMappedKeys"] == ["L-MISSING"]
    assert world.goto.counters.total("/admin/rest/v1/accounts") == 1  # one page


async def test_an_admin_api_that_is_not_there_is_exit_2(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], world: World
) -> None:
    code, out, err = await _run(
        capsys, {**env, "GOTO_ADMIN_BASE_URL": world.goto.url + "/nowhere"}, as_json=False
    )

    assert code == 2 and out == ""
    assert err.startswith("error (goto): ") and err.count("\n") == 1
    assert "list licenses" in err and "404" in err


async def test_a_token_without_the_identity_scope_says_what_to_add(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], world: World
) -> None:
    token = world.goto.oauth.issue(scope="identity:scim.org")["access_token"]

    code, out, err = await _run(capsys, {**env, "GOTO_ACCESS_TOKEN": token}, as_json=True)

    assert code == 2
    assert json.loads(out)["errorKind"] == "credentials"
    assert "GOTO_OAUTH_SCOPE" in err and "identity:" in err
    assert token not in out + err


async def test_a_bad_setting_is_exit_2_naming_it(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    code, _, err = await _run(capsys, {**env, "GOTO_LICENSE_ASSIGNMENT": "both"}, as_json=False)

    assert code == 2 and "GOTO_LICENSE_ASSIGNMENT" in err and err.startswith("error (configuration)")


def test_unknown_seats_show_as_a_question_mark() -> None:
    rows = license_rows([{"key": "K", "products": [], "seats": None, "users": 0, "enabled": True}])

    assert rows == [("K", "-", "?", "0", "yes", "-")]


def test_the_command_is_registered(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "provisioning", "licenses", "--json"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert [lic["key"] for lic in json.loads(done.stdout)["licenses"]] == ["L-PRO", "L-FREE"]


@pytest.fixture
def oauth_env(env: dict[str, str], world: World) -> Iterator[dict[str, str]]:
    """The authorization-code mode against the simulator, its refresh token in a sandbox file."""
    name = f"licenses-{uuid.uuid4().hex[:10]}"
    world.goto.oauth.register_client("lic-client", "lic-client-secret", redirect_uris=["http://localhost/cb"])
    yield {
        **env,
        "GOTO_ACCESS_TOKEN": "",
        "GOTO_CLIENT_ID": "lic-client",
        "GOTO_CLIENT_SECRET": "lic-client-secret",
        "GOTO_AUTH_BASE_URL": world.goto.url,
        "GOTO_REDIRECT_URI": "http://localhost/cb",
        "GOTO_REFRESH_TOKEN_SECRET_NAME": name,
    }
    for leftover in SANDBOX_DIR.glob(f"{name}.json*"):
        leftover.unlink()


@pytest.mark.parametrize(
    ("granted", "exit_code"), [("identity:scim.org", 2), ("identity:scim.org identity:", 0)]
)
def test_through_oauth_the_scope_the_admin_granted_decides(
    capsys: pytest.CaptureFixture[str], oauth_env: dict[str, str], world: World, granted: str, exit_code: int
) -> None:
    refresh = world.goto.oauth.issue("lic-client", scope=granted)["refresh_token"]
    name = oauth_env["GOTO_REFRESH_TOKEN_SECRET_NAME"]
    asyncio.run(FileTokenStore(SANDBOX_DIR / f"{name}.json").put(refresh))

    code = licenses(as_json=False, environ=oauth_env)
    out, err = capsys.readouterr()

    assert code == exit_code, err
    if exit_code:
        assert "GOTO_OAUTH_SCOPE" in err and err.startswith("error (credentials)")
    else:
        assert "L-PRO" in out
    assert refresh not in out + err
