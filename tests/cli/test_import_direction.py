"""Imports run one way: the CLI uses api/ and the services; api/, the data shapes (report) and the
diagnostics never load the CLI package or its terminal libraries, and diagnostics never loads api/.
Each check imports in a fresh interpreter, so nothing loaded by another test hides an import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def loaded_after(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    "module",
    ["provisioning.api.routes", "provisioning.api.status", "provisioning.api.logs", "provisioning.report"],
)
def test_api_and_data_shapes_do_not_load_the_cli(module: str) -> None:
    loaded = loaded_after(module)
    assert module in loaded
    assert not {m for m in loaded if m == "provisioning.cli" or m.startswith(("provisioning.cli.", "rich"))}


def test_diagnostics_do_not_load_api() -> None:
    loaded = loaded_after("provisioning.diagnostics")
    assert not {m for m in loaded if m.startswith("provisioning.api")}


def test_the_cli_package_loads_its_parts() -> None:
    loaded = loaded_after("provisioning.cli")
    assert {"provisioning.cli.commands", "provisioning.cli.render", "provisioning.cli.progress"} <= loaded
