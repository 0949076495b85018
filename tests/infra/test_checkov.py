"""checkov's Azure rules pass on infra/, every skipped rule is justified where it is skipped, and a file
checkov could not parse fails here (checkov itself exits 0 on it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.bicep import INFRA
from tests.infra.conftest import run_checkov

SKIP_COMMENT = re.compile(r"//\s*checkov:skip=([A-Z0-9_]+):\s*(.*)$")


def problems(report: dict[str, Any]) -> list[str]:
    """What makes a report unacceptable: failed rules, and files checkov could not parse."""
    results = report["results"]
    found = [
        f"{c['check_id']} {c['file_path']} {c['resource']}: {c['check_name']}"
        for c in results["failed_checks"]
    ]
    found += [f"checkov could not parse {path}" for path in results["parsing_errors"]]
    return found


def skip_comments() -> dict[tuple[str, str], str]:
    """(file relative to infra/, rule id) -> the justification written next to the skip."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(INFRA.rglob("*.bicep")):
        for line in path.read_text().splitlines():
            match = SKIP_COMMENT.search(line)
            if match:
                found[(path.relative_to(INFRA).as_posix(), match.group(1))] = match.group(2).strip()
    return found


def test_checkov_passes(checkov_report: dict[str, Any]) -> None:
    assert problems(checkov_report) == []
    assert checkov_report["summary"]["passed"] >= 20  # the rules really ran (not an empty scan)


def test_every_skipped_rule_is_justified_in_a_comment(checkov_report: dict[str, Any]) -> None:
    comments = skip_comments()
    for key, reason in comments.items():
        assert len(reason) >= 40, f"{key}: say why the rule does not apply, not just that it is skipped"
    reported = {
        (c["file_path"].lstrip("/"), c["check_id"]) for c in checkov_report["results"]["skipped_checks"]
    }
    # a comment checkov did not apply is misplaced (outside the resource) or names the wrong rule
    assert set(comments) == reported


@pytest.fixture(scope="module")
def mutants(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Two altered copies of storage.bicep, scanned in one checkov run (each run costs ~5 s).

    broken/: shared keys back on, hidden behind a syntax error. unskipped/: one skip comment removed.
    """
    root = tmp_path_factory.mktemp("mutants")
    text = (INFRA / "modules" / "storage.bicep").read_text()
    (root / "broken").mkdir()
    (root / "broken" / "storage.bicep").write_text(
        text.replace("allowSharedKeyAccess: false", "allowSharedKeyAccess: true\n  }\n  oops", 1)
    )
    (root / "unskipped").mkdir()
    (root / "unskipped" / "storage.bicep").write_text(
        "".join(line for line in text.splitlines(keepends=True) if "checkov:skip=CKV_AZURE_206:" not in line)
    )
    return root, run_checkov(root)


def test_a_file_checkov_cannot_parse_fails_here_though_checkov_passes_it(
    mutants: tuple[Path, dict[str, Any]],
) -> None:
    root, report = mutants
    broken = root / "broken" / "storage.bicep"
    assert not any("/broken/" in c["file_path"] for c in report["results"]["failed_checks"])
    assert f"checkov could not parse {broken}" in problems(report)


def test_removing_a_skip_comment_makes_its_rule_fail(mutants: tuple[Path, dict[str, Any]]) -> None:
    """The skips are load-bearing: without its comment, the rule fails the scan."""
    _, report = mutants
    failed = [(c["file_path"], c["check_id"]) for c in report["results"]["failed_checks"]]
    assert failed == [("/unskipped/storage.bicep", "CKV_AZURE_206")]
