"""Paging knobs of the simulator, changeable while it runs (Python API or /_sandbox/settings)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class SimulatorSettings:
    """Graph decides its own page sizes; tests pick them to force multi-page rounds."""

    page_size: int = 100  # entries per users/delta page (and groups/delta unless group_page_size)
    group_page_size: int | None = None
    max_members_per_entry: int = 100  # members@delta items per group entry before the group repeats
    empty_page_every: int = 0  # N > 0: an empty page (with a nextLink) after every N pages

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown settings {unknown}; known: {sorted(known)}")
        checked: dict[str, int | None] = {}
        for key, value in values.items():
            if value is None and key == "group_page_size":
                checked[key] = None
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{key} must be an integer, got {value!r}")
            if value < (0 if key == "empty_page_every" else 1):
                raise ValueError(f"{key} is out of range: {value}")
            checked[key] = value
        for key, value in checked.items():
            setattr(self, key, value)

    @property
    def groups_page_size(self) -> int:
        return self.group_page_size or self.page_size

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
