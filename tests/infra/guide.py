"""docs/operator-guide.md as data: its fenced blocks (with their info strings) and its tables."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.infra.bicep import ROOT

GUIDE = ROOT / "docs" / "operator-guide.md"
_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    info: str  # e.g. "sh sandbox", "sh file=infra/scripts/grant-graph-permissions.sh", "kusto"
    body: str
    line: int

    @property
    def words(self) -> list[str]:
        return self.info.split()


def guide_text() -> str:
    return GUIDE.read_text()


def blocks() -> list[Block]:
    text = guide_text()
    return [
        Block(m.group("info").strip(), m.group("body"), text.count("\n", 0, m.start()) + 1)
        for m in _FENCE.finditer(text)
    ]


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after the heading line `heading`."""
    text = guide_text()
    start = text.index(f"\n{heading}\n")
    rows: list[list[str]] = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            if not all(set(cell) <= {"-", ":", "|"} for cell in cells):
                rows.append(cells)
        elif rows:
            break
    return rows[1:]  # without the header row


def code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)
