"""Settings that cannot work stop the CLI before any I/O: exit 2 and one line naming the setting.

The real CLI runs in a subprocess with a clean environment (only PATH and HOME besides the settings),
as an admin's shell would. Graph and GoTo point at a closed loopback port, so a bad setting that got
through would end in another error kind, not in `error (configuration)`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "http://127.0.0.1:9"
KEY = "not-base64-storage-key!"
BASE = {
    "ENTRA_SERVICE_PRINCIPAL_ID": "6f1c5d2e-1b7a-4c1e-9a0f-2f4b8c6d0e11",
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "GRAPH_BASE_URL": f"{CLOSED}/v1.0",
    "GRAPH_ACCESS_TOKEN": "sandbox-graph-token",
    "GOTO_SCIM_BASE_URL": f"{CLOSED}/identity/v1",
    "GOTO_ACCESS_TOKEN": "sandbox-goto-token",
}
REFERENCE = (
    "@Microsoft.KeyVault(SecretUri=https://kv-prod-42.vault.azure.net/secrets/goto-client-secret/9f8e)"
)
OAUTH = {
    "GOTO_ACCESS_TOKEN": "",
    "GOTO_CLIENT_ID": "client",
    "GOTO_CLIENT_SECRET": REFERENCE,
    "KEY_VAULT_URL": "https://kv-prod-42.vault.azure.net",
}


def _cli(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "-m", "provisioning", *args],
        env={**clean, **BASE, **settings},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _one_configuration_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error (configuration): ")
    return lines[0]


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("GOTO_RATE_LIMIT_PER_SECOND", "1e-300", "from 0.1 requests/s to 1000 requests/s"),  # used to hang
        ("SYNC_SCHEDULE", "99 99 99 99 99 99", "bad second field '99'"),
        ("CYCLE_TIME_BUDGET_SECONDS", "1e9", "at most 480"),
        ("AzureWebJobsStorage", "", "is required"),  # used to be a traceback
        (
            "AzureWebJobsStorage",
            f"AccountName=acct;AccountKey={KEY};EndpointSuffix=core.windows.net",
            "base64",
        ),
    ],
)
def test_sync_with_a_setting_that_cannot_work_exits_2_naming_it(setting: str, value: str, says: str) -> None:
    line = _one_configuration_line(_cli("sync", **{setting: value}))
    assert f"{setting}: invalid settings: {setting} " in line and says in line
    assert KEY not in line


@pytest.mark.parametrize("command", ["sync", "status", "test-connection"])
def test_an_unresolved_key_vault_reference_names_the_setting_and_the_secret(command: str) -> None:
    line = _one_configuration_line(_cli(command, **OAUTH))
    assert (
        "GOTO_CLIENT_SECRET is an unresolved Key Vault reference to the secret 'goto-client-secret'" in line
    )
    assert "kv-prod-42" not in line and "9f8e" not in line
