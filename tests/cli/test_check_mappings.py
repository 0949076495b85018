"""check-mappings: `ok: …` and exit 0 for a good file (FILE, else MAPPINGS_FILE, else the built-in
default); every problem on stderr, path first, and exit 2 for a broken, missing or unreadable one.
It needs no other setting (run in a bare environment)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provisioning.cli.check_mappings import check_mappings

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "mapping" / "fixtures"
DEFAULT_OK = "ok: 10 user mappings, 2 group mappings, 0 scoping filters\n"
MANY_JSON = [
    "users.mappings[1].expression: at column 33: expected ')' or ',', found the end of the expression",
    'users.mappings[2].apply: "sometimes" is not one of: always, on-create',
    'users.mappings[3].target: "username" is already the target of users.mappings[0]',
    "users.mappings[4].matching: precedence 1 is already taken by users.mappings[0]",
]
GOOD = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, source: displayName}
    - {target: title, source: jobTitle}
  scoping:
    - - {attribute: department, operator: EQUALS, value: Sales}
    - - {attribute: department, operator: EQUALS, value: Support}
groups:
  mappings:
    - {target: displayName, source: displayName, matching: 1}
"""


def _run(file: str | None, environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check_mappings(file, environ=environ or {}, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_without_a_file_the_built_in_default_is_checked() -> None:
    assert _run(None) == (0, DEFAULT_OK, "")


def test_a_good_file_prints_its_counts(tmp_path: Path) -> None:
    path = tmp_path / "mappings.yml"
    path.write_text(GOOD, encoding="utf-8")
    assert _run(str(path)) == (0, "ok: 3 user mappings, 1 group mappings, 2 scoping filters\n", "")


def test_mappings_file_is_the_default_and_file_wins_over_it(tmp_path: Path) -> None:
    path = tmp_path / "mappings.yaml"
    path.write_text(GOOD, encoding="utf-8")
    broken = str(FIXTURES / "many-errors.json")
    assert _run(None, {"MAPPINGS_FILE": broken}) == (2, "", "".join(f"{line}\n" for line in MANY_JSON))
    assert _run(str(path), {"MAPPINGS_FILE": broken})[0] == 0
    assert _run(None, {"MAPPINGS_FILE": "  "}) == (0, DEFAULT_OK, "")
    assert _run(None, {"MAPPINGS_FILE": f" {path}\n"}) == (
        0,
        "ok: 3 user mappings, 1 group mappings, 2 scoping filters\n",
        "",
    )


def test_every_problem_goes_to_stderr_with_its_line() -> None:
    code, out, err = _run(str(FIXTURES / "many-errors.yaml"))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{line} (line {n})" for line, n in zip(MANY_JSON, [9, 12, 13, 17], strict=True)
    ]


@pytest.mark.parametrize("kind", ["missing", "unreadable"])
def test_a_missing_or_unreadable_file_is_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "mappings.yaml"
    if kind == "unreadable":
        path.mkdir()  # a directory cannot be read as a file, even by root
    reason = "No such file or directory" if kind == "missing" else "Is a directory"
    assert _run(str(path)) == (2, "", f"{path}: cannot read the mapping file: {reason}\n")


def test_runs_in_a_bare_environment() -> None:
    """No GoTo, Graph or storage setting: the check reads only the mapping file."""
    entry = "from provisioning.cli.check_mappings import main; raise SystemExit(main([]))"
    done = subprocess.run(
        [sys.executable, "-c", entry],
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, DEFAULT_OK), done.stderr
