"""The exit-code contract: the README's table says what 0, 1 and 2 mean and names every reason for 2;
the error table (provisioning.error_map) and the CLI agree with it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from provisioning.error_map import EXIT_CANNOT_RUN, EXIT_FAILED_OBJECTS, EXIT_OK, map_error
from provisioning.errors import (
    ConfigError,
    InputError,
    LeaseHeldError,
    LeaseLostError,
    OAuthStateError,
    SourceError,
    SourceNotFoundError,
    StorageError,
    TargetError,
    UnauthorizedError,
)
from sandbox.world import World

README = Path(__file__).resolve().parents[2] / "README.md"
ERRORS = [
    OAuthStateError("state unknown"),
    ConfigError("X", "bad"),
    InputError("id", "bad"),
    SourceNotFoundError("gone", status=404),
    StorageError("down"),
    LeaseHeldError("busy"),
    LeaseLostError("lost"),
    SourceError("down"),
    UnauthorizedError("no", status=401),
    TargetError("down", status=502),
]


def _readme_exit_rows() -> dict[int, str]:
    section = README.read_text().split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(\d)` \| (.+) \|$", section, flags=re.MULTILINE)
    return {int(code): text for code, text in rows}


def test_the_readme_table_names_every_kind_of_exit_2() -> None:
    rows = _readme_exit_rows()
    assert sorted(rows) == [EXIT_OK, EXIT_FAILED_OBJECTS, EXIT_CANNOT_RUN]
    kinds = {mapped.kind for mapped in map(map_error, ERRORS) if mapped is not None}
    named = set(re.findall(r"`([a-z-]+)`", rows[EXIT_CANNOT_RUN]))
    assert kinds <= named, f"README's exit 2 row lacks {sorted(kinds - named)}"
    assert all(m is not None and m.exit_code == EXIT_CANNOT_RUN for m in map(map_error, ERRORS))
    assert "PROVISIONING_ENABLED=false" in rows[EXIT_OK]


def test_provisioning_off_is_a_state_printed_with_exit_0(world: World) -> None:
    world.seed_demo_tenant(users=6, groups=1)
    done = subprocess.run(
        [sys.executable, "-m", "provisioning", "sync"],
        env={**os.environ, **world.env(PROVISIONING_ENABLED="false")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "skipped: off (PROVISIONING_ENABLED is false)" in done.stdout
    assert world.goto.counters.total() == 0
