"""`python -m sandbox.goto` runs the simulator in the foreground and prints where it listens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sandbox.azurite import free_port
from sandbox.goto import SANDBOX_GOTO_TOKEN
from tests.fixtures.goto_sim import http_client

ROOT = Path(__file__).resolve().parents[2]


def test_module_runs_the_simulator_and_prints_its_url() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.goto", "--port", str(port), "--rate", "50"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url == f"http://127.0.0.1:{port}"
        with http_client(url) as client:
            me = client.get(
                "/identity/v1/Users/me", headers={"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
            )
            config = client.get("/_sandbox/config").json()
        assert me.status_code == 200
        assert config["rate_limit_per_second"] == 50.0
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
