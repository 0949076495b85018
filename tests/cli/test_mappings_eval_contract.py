"""The `mappings eval` contract other tools drive: one JSON object on stdout and exit 0, or one
`error (configuration): …` line on stderr with the position and exit 2. It needs no settings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provisioning.cli import main

ROOT = Path(__file__).resolve().parents[2]
ENTRA_NOW = re.compile(
    r"^(1[0-2]|[1-9])/([1-9]|[12][0-9]|3[01])/\d{4} (1[0-2]|[1-9]):[0-5]\d:[0-5]\d (AM|PM)$"
)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real `python -m provisioning` with an empty environment: no Azure, no GoTo settings."""
    return subprocess.run(
        [sys.executable, "-m", "provisioning", "mappings", *args],
        cwd=ROOT,
        env={},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_eval_prints_value_and_flow_in_a_bare_environment() -> None:
    attributes = '{"givenName": "Ada", "surname": "Lovelace"}'
    done = run_cli("eval", "--expression", 'Join(" ", [givenName], [surname])', "--attributes", attributes)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == {"value": "Ada Lovelace", "flow": "normal"}
    assert done.stdout.count("\n") == 1


def test_a_syntax_error_is_exit_2_with_the_position_on_stderr() -> None:
    done = run_cli("eval", "--expression", 'Join(" ", [givenName]', "--attributes", "{}")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "error (configuration): --expression: at column 22: "
        "expected ')' or ',', found the end of the expression\n"
    )


def _eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["mappings", "eval", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("expression", "attributes", "printed"),
    [
        ("IgnoreFlowIfNullOrEmpty([department])", "{}", {"value": None, "flow": "ignored"}),
        ('Split([x], ",")', '{"x": "a,b"}', {"value": ["a", "b"], "flow": "normal"}),
        ("Count([x])", '{"x": [1, 2, 3]}', {"value": 3, "flow": "normal"}),
        ("IsPresent([x])", "{}", {"value": False, "flow": "normal"}),
        ("[missing]", "{}", {"value": None, "flow": "normal"}),
        ('CDate("2021-06-30+08:00")', "{}", {"value": "6/29/2021 4:00:00 PM", "flow": "normal"}),
        ("NormalizeDiacritics([n])", '{"n": "Zoë"}', {"value": "Zoe", "flow": "normal"}),
    ],
)
def test_eval_values(
    capsys: pytest.CaptureFixture[str], expression: str, attributes: str, printed: dict[str, object]
) -> None:
    code, out, err = _eval(capsys, "--expression", expression, "--attributes", attributes)
    assert (code, err) == (0, "")
    assert json.loads(out) == printed


def test_now_prints_entra_format_in_utc(capsys: pytest.CaptureFixture[str]) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    code, out, _ = _eval(capsys, "--expression", "Now()", "--attributes", "{}")
    after = datetime.now(UTC)
    printed = json.loads(out)["value"]
    assert code == 0 and ENTRA_NOW.match(printed), printed
    moment = datetime.strptime(printed, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=UTC)
    assert before <= moment <= after


def test_existing_values_steer_select_unique_value(capsys: pytest.CaptureFixture[str]) -> None:
    expression = (
        'SelectUniqueValue(Join("@", [a], "contoso.com"), Join("@", Join(".", [a], "2"), "contoso.com"))'
    )
    code, out, _ = _eval(
        capsys,
        "--expression",
        expression,
        "--attributes",
        '{"a": "ada"}',
        "--existing",
        '["ada@contoso.com"]',
    )
    assert code == 0
    assert json.loads(out) == {"value": "ada.2@contoso.com", "flow": "normal"}
    code, out, _ = _eval(capsys, "--expression", expression, "--attributes", '{"a": "ada"}')
    assert json.loads(out)["value"] == "ada@contoso.com"


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["--expression", "join([a])", "--attributes", "{}"],
         "--expression: at column 1: unknown function 'join' (did you mean 'Join'?)"),
        (["--expression", "Append([a])", "--attributes", "{}"],
         "--expression: at column 1: Append(source, suffix) takes 2 arguments, got 1"),
        (["--expression", "[a]", "--attributes", "{nope"],
         "--attributes: not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
        (["--expression", "[a]", "--attributes", "[1]"], "--attributes: must be a JSON object"),
        (["--expression", "[a]", "--attributes", "{}", "--existing", '{"a": 1}'],
         "--existing: must be a JSON list"),
        (["--expression", "CDate([d])", "--attributes", '{"d": "soon"}'],
         "--expression: at column 1: CDate: expression 'soon' is not a date"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], stderr: str
) -> None:
    code, out, err = _eval(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith(f"error (configuration): {stderr}")
    assert err.count("\n") == 1
