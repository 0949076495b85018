"""Paging knobs of the simulator, changeable while it runs (Python API or /_sandbox/settings)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

# Misbehaving paging, by `next_link_loop`: "self" answers every page of a paged read (users and
# groups delta, group members, appRoleAssignedTo) with a nextLink equal to the request's own URL;
# "endless" serves the round's last page again and again, each time under a new nextLink.
NEXT_LINK_LOOPS = ("self", "endless")


@dataclass
class SimulatorSettings:
    """Graph decides its own page sizes; tests pick them to force multi-page rounds."""

    page_size: int = 100  # entries per users/delta page (and groups/delta unless group_page_size)
    group_page_size: int | None = None
    max_members_per_entry: int = 100  # members@delta items per group entry before the group repeats
    empty_page_every: int = 0  # N > 0: an empty page (with a nextLink) after every N pages
    next_link_loop: str | None = None  # None (Graph's behaviour) or one of NEXT_LINK_LOOPS

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown settings {unknown}; known: {sorted(known)}")
        checked: dict[str, int | str | None] = {}
        for key, value in values.items():
            if value is None and key in ("group_page_size", "next_link_loop"):
                checked[key] = None
                continue
            if key == "next_link_loop":
                if value not in NEXT_LINK_LOOPS:
                    raise ValueError(
                        f"next_link_loop must be null or one of {list(NEXT_LINK_LOOPS)}, got {value!r}"
                    )
                checked[key] = value
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
