"""The operator guide's sandbox walkthrough works as written: every `sh sandbox` block runs, in order,
in one bash, exactly as a new user would paste it, and ends with the users in GoTo. Every CLI
command the walkthrough uses must exist (no line is left out).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess

from provisioning.cli import build_parser
from sandbox.azurite import free_port
from tests.infra.bicep import ROOT
from tests.infra.guide import blocks
from tests.infra.test_settings_drift import READ_BY_CODE

CLI = re.compile(r"-m provisioning (?P<command>[a-z-]+)")


def sandbox_script() -> tuple[str, list[str]]:
    """The guide's sandbox blocks as one bash script, and the CLI commands it uses."""
    lines: list[str] = []
    commands: list[str] = []
    for block in blocks():
        if block.words[:2] != ["sh", "sandbox"]:
            continue
        for line in block.body.splitlines():
            match = CLI.search(line)
            if match:
                commands.append(match.group("command"))
            lines.append(line)
    return "\n".join(lines) + "\n", commands


def test_the_sandbox_walkthrough_runs_as_written() -> None:
    script, used = sandbox_script()
    (parser,) = (a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(used) <= set(parser.choices), sorted(set(used) - set(parser.choices))
    env = {
        **os.environ,
        # the guide's `${GRAPH_PORT:-8081}` defaults give way to free ports (parallel runs, busy 8081)
        "GRAPH_PORT": str(free_port()),
        "GOTO_PORT": str(free_port()),
        "TABLES_PORT": str(free_port()),
    }
    for name in READ_BY_CODE:
        env.pop(name, None)  # a new user's shell has none of the product's settings
    bash = shutil.which("bash") or "/bin/bash"
    prelude = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
    process = subprocess.Popen(
        [bash, "-c", prelude + script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: nothing it starts outlives the test
    )
    try:
        output, _ = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, output[-6000:]

    assert "create/planned" in output  # the dry run's plan
    assert "off (PROVISIONING_ENABLED is false)" in output  # the cycle while off
    assert re.search(r"create/success\s+\d+", output)  # the cycle once on
    # the guide's last look at GoTo lists the accounts: the assigned group's members and the user
    assert len(re.findall(r"^\w+\.\w+\d{4}@contoso\.com$", output, re.MULTILINE)) >= 10
