"""infra/scripts/grant-graph-permissions.sh, run with sh as azd runs it, against a fake `az rest`
(tests/infra/fake_az.py) that answers as Microsoft Graph does: it grants the three permissions,
is idempotent, waits for a new identity to reach Graph, tells a caller without the rights who
must run it, and talks to the Graph of the configured cloud (GRAPH_BASE_URL, else the Azure CLI's)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra import fake_az
from tests.infra.bicep import INFRA, ROOT

SCRIPT = INFRA / "scripts" / "grant-graph-permissions.sh"
SH = shutil.which("sh") or "/bin/sh"  # azd runs hooks with sh (dash on Debian)
PRINCIPAL = "0d6f3b8e-5a4c-4f0e-9e1d-2b7c8a9f4e21"
WANTED = {
    fake_az.GRAPH_APP_ROLES[name]
    for name in ("User.Read.All", "GroupMember.Read.All", "Application.Read.All")
}


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    state: dict[str, Any]

    def posts(self) -> list[dict[str, Any]]:
        return [call for call in self.state["calls"] if call["method"] == "POST"]


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    """A bin/ with the fake `az`, and the state file it reads; returns the state file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    launcher = "import sys\nfrom tests.infra.fake_az import main\nsys.exit(main(sys.argv[1:]))\n"
    az.write_text(f"#!{sys.executable}\n{launcher}")
    az.chmod(0o755)
    state = tmp_path / "graph.json"
    state.write_text(json.dumps(fake_az.new_state(PRINCIPAL)))
    return state


def set_faults(state_file: Path, **faults: Any) -> None:
    state = json.loads(state_file.read_text())
    state.update(faults)
    state_file.write_text(json.dumps(state))


def run(
    state_file: Path,
    *args: str,
    attempts: int = 12,
    principal_env: str | None = PRINCIPAL,
    graph_base_url: str | None = None,
) -> Run:
    state = json.loads(state_file.read_text())
    state["calls"] = []
    state_file.write_text(json.dumps(state))
    env = {
        "PATH": f"{state_file.parent / 'bin'}:/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "FAKE_AZ_STATE": str(state_file),
        "GRANT_RETRY_SECONDS": "0",
        "GRANT_ATTEMPTS": str(attempts),
    }
    if principal_env is not None:
        env["AZURE_MANAGED_IDENTITY_PRINCIPAL_ID"] = principal_env  # what azd hands its hooks
    if graph_base_url is not None:
        env["GRAPH_BASE_URL"] = graph_base_url  # an azd variable: azd hands it to hooks when set
    done = subprocess.run(
        [SH, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return Run(done.returncode, done.stdout, done.stderr, json.loads(state_file.read_text()))


def granted(result: Run) -> set[str]:
    return {a["appRoleId"] for a in result.state["assignments"]}


def test_grants_the_three_permissions_then_changes_nothing_when_run_again(graph: Path) -> None:
    first = run(graph)
    assert first.code == 0, first.stderr
    assert granted(first) == WANTED
    assert first.stdout.count("granted: ") == 3 and "already" not in first.stdout
    assert {post["body"]["resourceId"] for post in first.posts()} == {fake_az.GRAPH_SP_ID}

    again = run(graph)
    assert again.code == 0, again.stderr
    assert again.posts() == []
    assert again.stdout.count("already granted: ") == 3
    assert granted(again) == WANTED


def test_grants_only_what_is_missing(graph: Path) -> None:
    set_faults(
        graph,
        assignments=[
            {
                "id": "1",
                "principalId": PRINCIPAL,
                "resourceId": fake_az.GRAPH_SP_ID,
                "appRoleId": fake_az.GRAPH_APP_ROLES["User.Read.All"],
            }
        ],
    )
    result = run(graph)
    assert result.code == 0, result.stderr
    assert "already granted: User.Read.All" in result.stdout
    assert len(result.posts()) == 2 and granted(result) == WANTED


def test_waits_for_a_just_created_identity_to_reach_graph(graph: Path) -> None:
    set_faults(graph, unknown_for=2)
    result = run(graph)
    assert result.code == 0, result.stderr
    assert result.stderr.count("Microsoft Graph is not ready") == 2
    assert granted(result) == WANTED


def test_gives_up_after_its_attempts(graph: Path) -> None:
    set_faults(graph, unknown_for=100)
    result = run(graph, attempts=3)
    assert result.code == 1
    assert "Request_ResourceNotFound" in result.stderr and "after 3 attempts" in result.stderr
    assert len(result.state["calls"]) == 1 + 3  # Graph's own service principal, then 3 tries
    assert result.state["assignments"] == []


def test_a_caller_who_may_not_grant_is_told_who_must_and_what_to_run(graph: Path) -> None:
    set_faults(graph, forbidden=True)
    result = run(graph)
    assert result.code == 3
    assert len(result.posts()) == 1  # no retrying a refusal
    assert "Privileged Role Administrator" in result.stderr
    assert f"sh infra/scripts/grant-graph-permissions.sh {PRINCIPAL}" in result.stderr


def test_a_grant_made_meanwhile_counts_as_granted(graph: Path) -> None:
    set_faults(graph, race=True)
    result = run(graph)
    assert result.code == 0, result.stderr
    assert result.stdout.count("already granted: ") == 3


def test_takes_the_principal_from_its_argument_or_says_how_to_call_it(graph: Path) -> None:
    by_argument = run(graph, PRINCIPAL, principal_env=None)
    assert by_argument.code == 0 and granted(by_argument) == WANTED
    missing = run(graph, principal_env=None)
    assert missing.code == 2 and "usage:" in missing.stderr


def hosts(result: Run) -> set[str]:
    return {call["url"].split("/servicePrincipals")[0] for call in result.state["calls"]}


def test_talks_to_the_graph_of_the_cloud_the_azure_cli_is_signed_in_to(graph: Path) -> None:
    set_faults(graph, cloud="AzureUSGovernment")
    result = run(graph)
    assert result.code == 0, result.stderr
    assert granted(result) == WANTED
    assert hosts(result) == {"https://graph.microsoft.us/v1.0"}
    assert "Microsoft Graph (https://graph.microsoft.us/v1.0) permissions of" in result.stdout


def test_graph_base_url_from_the_setting_or_the_argument_wins(graph: Path) -> None:
    set_faults(graph, cloud="AzureChinaCloud")
    china = "https://microsoftgraph.chinacloudapi.cn/v1.0"
    by_setting = run(graph, graph_base_url=china + "/")
    assert by_setting.code == 0, by_setting.stderr
    assert hosts(by_setting) == {china} and granted(by_setting) == WANTED
    by_argument = run(graph, PRINCIPAL, china, graph_base_url="https://graph.microsoft.com/v1.0")
    assert by_argument.code == 0, by_argument.stderr
    assert hosts(by_argument) == {china}


def test_a_graph_of_another_cloud_grants_nothing_and_a_bad_url_is_named(graph: Path) -> None:
    wrong = run(graph, graph_base_url="https://graph.microsoft.us/v1.0", attempts=1)
    assert wrong.code == 1 and "Can't derive appropriate Azure AD resource" in wrong.stderr
    assert wrong.state["assignments"] == []
    plain = run(graph, graph_base_url="http://graph.microsoft.com/v1.0")
    assert plain.code == 2 and "GRAPH_BASE_URL must be an https://" in plain.stderr
    assert plain.state["calls"] == []
