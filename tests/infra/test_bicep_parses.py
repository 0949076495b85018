"""Every .bicep file under infra/ parses (pycep-parser); a broken one fails with file, line and column.

This is the syntax check CI has instead of `bicep build` (no Bicep CLI can be installed here).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.infra.bicep import INFRA, BicepSyntaxError, parse_tree

EXPECTED = {
    "main.bicep",
    "modules/function.bicep",
    "modules/identity.bicep",
    "modules/keyvault.bicep",
    "modules/monitoring.bicep",
    "modules/storage.bicep",
}


def test_every_bicep_file_parses() -> None:
    templates = parse_tree(INFRA)
    assert set(templates) == EXPECTED
    assert templates["main.bicep"].json["globals"]["scope"]["value"] == "subscription"


def test_main_uses_every_module_file_and_no_other() -> None:
    """A module file main.bicep does not reference would be checked here but never deployed."""
    main = parse_tree(INFRA)["main.bicep"]
    used = {entry["detail"]["path"] for entry in main.section("modules").values()}
    assert used == EXPECTED - {"main.bicep"}


def test_a_broken_copy_fails_naming_file_line_and_column(tmp_path: Path) -> None:
    copy = tmp_path / "infra"
    shutil.copytree(INFRA, copy)
    storage = copy / "modules" / "storage.bicep"
    lines = storage.read_text().splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if "allowSharedKeyAccess" in line)
    lines.insert(target + 1, "    supportsHttpsTrafficOnly true\n")  # a property without its colon
    storage.write_text("".join(lines))

    with pytest.raises(BicepSyntaxError) as caught:
        parse_tree(copy)

    assert f"storage.bicep:{target + 2}:" in str(caught.value)
