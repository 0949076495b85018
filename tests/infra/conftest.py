"""Fixtures for the infra checks: the parsed templates (once) and one checkov run (once, ~10 s)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.bicep import INFRA, MAIN, ROOT, Template, parse_tree

# The Makefile installs checkov in its own venv (see infra/checkov-requirements.txt); CHECKOV overrides.
CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".venv" / "checkov" / "bin" / "checkov"))


@pytest.fixture(scope="session")
def templates() -> dict[str, Template]:
    return parse_tree(INFRA)


@pytest.fixture(scope="session")
def main(templates: dict[str, Template]) -> Template:
    return templates[MAIN]


@pytest.fixture(scope="session")
def modules(main: Template, templates: dict[str, Template]) -> dict[str, Template]:
    """main.bicep's modules by symbol (`functionApp`, `storage`, ...), each as its parsed file."""
    found: dict[str, Template] = {}
    for symbol, entry in main.section("modules").items():
        assert entry["type"] == "local", (
            f"module {symbol} is not a local file: the offline checks cannot see it"
        )
        found[symbol] = templates[entry["detail"]["path"]]
    return found


def run_checkov(directory: Path) -> dict[str, Any]:
    """checkov's JSON report for the Bicep files under `directory` (offline: --skip-download)."""
    if not CHECKOV.exists():
        pytest.fail(f"checkov not found at {CHECKOV}: run `make install` (it creates .venv/checkov)")
    done = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(directory),
            "--framework",
            "bicep",
            "--output",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=directory,
    )
    if done.returncode not in (0, 1):  # 1 = some check failed; anything else = checkov broke
        pytest.fail(f"checkov exited {done.returncode}: {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    assert isinstance(report, dict), "checkov ran more than one framework"
    return report


@pytest.fixture(scope="session")
def checkov_report() -> dict[str, Any]:
    return run_checkov(INFRA)
