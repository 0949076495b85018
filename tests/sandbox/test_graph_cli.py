"""`python -m sandbox.graph` serves a seeded tenant in the foreground and prints its URL first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def test_module_runs_and_prints_its_url() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.graph",
            "--port",
            "0",
            "--users",
            "5",
            "--groups",
            "1",
            "--seed",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        state = httpx.get(f"{url}/_sandbox/state", timeout=10).json()
        assert state["users"] == 5 and state["groups"] == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
