"""The `mappings scope` contract: `true` or `false` on stdout and exit 0; a malformed filter is one
`error (configuration): …` line naming the clause's field, exit 2. It needs no settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from provisioning.cli import main

ROOT = Path(__file__).resolve().parents[2]
SALES = json.dumps([[{"attribute": "department", "operator": "EQUALS", "value": "Sales"}]])


def test_scope_in_a_bare_environment() -> None:
    """The real `python -m provisioning`, no environment at all: filters OR-ed, the second matches."""
    filters = json.dumps(
        [*json.loads(SALES), [{"attribute": "department", "operator": "Includes", "value": "al"}]]
    )
    done = subprocess.run(
        [sys.executable, "-m", "provisioning", "mappings", "scope", "--filters", filters,
         "--attributes", '{"department": "Legal"}'],
        cwd=ROOT, env={}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "true\n", "")


def _scope(capsys: pytest.CaptureFixture[str], filters: str, attributes: str) -> tuple[int, str, str]:
    code = main(["mappings", "scope", "--filters", filters, "--attributes", attributes])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("filters", "attributes", "printed"),
    [
        ("[]", "{}", "true\n"),
        (SALES, "{}", "false\n"),
        (SALES, '{"department": "sales"}', "false\n"),  # case-sensitive
        (SALES, '{"department": "Sales"}', "true\n"),
        (json.dumps([[{"attribute": "title", "operator": "IS NULL"}]]), "{}", "true\n"),
        (
            json.dumps(
                [
                    [{"attribute": "department", "operator": "EQUALS", "value": "Sales"}],
                    [{"attribute": "employeeId", "operator": "Greater_Than", "value": 100}],
                ]
            ),
            '{"department": "Legal", "employeeId": "101"}',
            "true\n",
        ),
    ],
)
def test_scope_prints_true_or_false(
    capsys: pytest.CaptureFixture[str], filters: str, attributes: str, printed: str
) -> None:
    assert _scope(capsys, filters, attributes) == (0, printed, "")


@pytest.mark.parametrize(
    ("filters", "attributes", "stderr"),
    [
        (json.dumps([[{"attribute": "a", "operator": "EQ", "value": "x"}]]), "{}",
         "--filters[0][0].operator: unknown operator 'EQ' (did you mean 'EQUALS'?)"),
        ("[[", "{}", "--filters: not valid JSON"),
        (SALES, "nope", "--attributes: not valid JSON"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], filters: str, attributes: str, stderr: str
) -> None:
    code, out, err = _scope(capsys, filters, attributes)
    assert (code, out) == (2, "")
    assert err.startswith(f"error (configuration): {stderr}")
    assert err.count("\n") == 1
