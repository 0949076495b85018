"""`make bench` at 30 users: every row of issue 15's table is measured and written, with sane
counts. No time is asserted (the machine is shared; timing belongs in bench/results.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run_all import ROW_NAMES
from sandbox.azurite import ROOT

pytestmark = pytest.mark.slow


def _rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 5 and cells[0] not in ("figure", "---"):
            rows[cells[0]] = cells[1:]
    return rows


def _number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return float(found.group(1).replace(",", ""))


def test_every_row_is_measured_at_smoke_size(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run_all", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = out.read_text()
    for header in ("- Machine: ", " cores, ", "- Date: ", "- Commit: "):
        assert header in text
    rows = _rows(text)
    assert sorted(rows) == sorted(ROW_NAMES)
    for name, (target, figure, met, size) in rows.items():
        assert target and size, name
        assert met in ("yes", "no"), name
        assert "not measured" not in figure, (name, figure)

    for name in ("10 req/s rate", "200 req/s rate"):
        figure = rows[name][1]
        assert _number(r"(\d+) GoTo requests", figure) >= 30  # 30 creates (and a capabilities read)
        assert _number(r"= ([\d.]+) req/s", figure) > 0
        assert _number(r"failures (\d+)", figure) == 0
    ceiling = rows["engine ceiling (GoTo unlimited)"][1]
    assert _number(r"for ([\d,]+) created", ceiling) == 30
    assert _number(r"([\d.]+) ms CPU per created user", ceiling) > 0
    assert _number(r"([\d.]+) \(", rows["Table transactions per record"][1]) > 0
    quiet = rows["quiet cycle"][1]
    assert _number(r"(\d+) GoTo", quiet) == 0
    assert 1 <= _number(r"(\d+) Graph", quiet) <= 3
    incremental = rows["1 % incremental"][1]
    assert _number(r"\((\d+) PATCH\)", incremental) == 1
    assert _number(r"for (\d+) changed users", incremental) == 1
    planning = rows["100,000-user planning"][1]
    assert _number(r"with the ([\d,]+) dry-run records", planning) == 30 + 10  # users and 10 groups
    assert _number(r"read \+ plan ([\d.]+) s CPU", planning) >= 0
    assert _number(r"(\d+) GoTo; status", planning) == 0
    assert _number(r"peak RSS (\d+) MB", planning) > 0
