"""A broken or missing mapping file stops `sync` before anything is read or written: exit 2, one
line naming MAPPINGS_FILE and each problem, no GoTo request, no cycle row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sandbox.world import World


def _sync(world: World, mappings: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **world.env(GOTO_RATE_LIMIT_PER_SECOND="1000"), "MAPPINGS_FILE": mappings}
    return subprocess.run(
        [sys.executable, "-m", "provisioning", "sync"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_broken_file_exits_2_naming_every_problem(world: World, tmp_path: Path) -> None:
    world.seed_demo_tenant(users=6, groups=1)
    broken = tmp_path / "mappings.yaml"
    broken.write_text(
        "version: 1\nusers:\n  mappings:\n"
        "    - {target: userName, source: userPrincipalName, matching: 1}\n"
        "    - {target: displayName, expression: 'Join(\" \", [givenName]'}\n"
        "    - {target: title, source: jobTitle, apply: sometimes}\n",
        encoding="utf-8",
    )
    done = _sync(world, str(broken))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error (configuration): MAPPINGS_FILE")
    assert "users.mappings[1].expression" in lines[0] and "users.mappings[2].apply" in lines[0]
    assert "Traceback" not in done.stderr
    assert world.goto.counters.total() == 0


def test_a_missing_file_exits_2_naming_it(world: World, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    done = _sync(world, str(missing))
    assert done.returncode == 2 and str(missing) in done.stderr and "MAPPINGS_FILE" in done.stderr
    assert "Traceback" not in done.stderr
