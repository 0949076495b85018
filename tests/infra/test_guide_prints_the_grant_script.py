"""The guide prints the Graph permission script whole, and what it prints is the script that runs."""

from __future__ import annotations

from tests.infra.bicep import ROOT
from tests.infra.guide import blocks


def test_the_printed_script_is_the_script() -> None:
    printed = [block for block in blocks() if any(word.startswith("file=") for word in block.words)]
    assert printed, "no block is marked file=…"
    for block in printed:
        (path,) = (word.removeprefix("file=") for word in block.words if word.startswith("file="))
        assert block.body == (ROOT / path).read_text(), (
            f"the guide's copy of {path} (line {block.line}) drifted"
        )
