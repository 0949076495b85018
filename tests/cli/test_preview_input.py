"""preview's bad input is exit 2 with one `error (input): …` line naming the argument, checked before
any setting is read (so a bare environment is enough): a non-GUID USER_ID, --diff without --mappings,
neither a user nor --diff, and a broken --mappings file with every one of its problems and lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from provisioning.cli import main

ROOT = Path(__file__).resolve().parents[2]
USER = "0f5c2b8e-1d2a-4b7e-9a51-3c2d1e0f9a11"
BROKEN = """version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, expression: 'Join(" ", [givenName]'}
    - {target: title, source: jobTitle, apply: sometimes}
"""


def _preview(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["preview", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_user_id_that_is_not_a_guid_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert _preview(capsys, "ada@contoso.com") == (
        2,
        "",
        "error (input): USER_ID: must be an Entra object id (a GUID), got 'ada@contoso.com'\n",
    )


def test_diff_needs_a_file_and_preview_needs_a_user_or_diff(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _preview(capsys, "--diff")
    assert (code, out) == (2, "")
    assert err.startswith("error (input): --diff: ") and "--mappings FILE" in err
    code, out, err = _preview(capsys)
    assert (code, out) == (2, "")
    assert err.startswith("error (input): USER_ID: give a user's Entra object id")


def test_a_broken_file_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    code, out, err = _preview(capsys, USER, "--mappings", str(path), "--json")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"error (input): --mappings: {path}: 2 problem(s): ")
    expression = "users.mappings[1].expression: at column 22: expected ')' or ','"
    assert f"{expression}, found the end of the expression (line 5); " in err
    assert 'users.mappings[2].apply: "sometimes" is not one of: always, on-create (line 6)' in err
    assert json.loads(out)["errorKind"] == "input"


def test_the_real_command_line_in_a_bare_environment(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "provisioning", "preview", USER, "--mappings", str(missing)],
        cwd=ROOT,
        env={},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"error (input): --mappings: {missing}: 1 problem(s): ")
    assert "cannot read the mapping file" in done.stderr
