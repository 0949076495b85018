"""Where a cycle cut by its time budget goes on: the users-delta page it stopped at, and the
deprovisions it had planned so far (they run when the cycle completes, after the guard); and the
fingerprint of the mapping the last complete read was made with (a change means a full read)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from provisioning.engine.ports import Source, StateStore
from provisioning.engine.records import Held, held_row, load_held
from provisioning.engine.run import Clock, CycleRun
from provisioning.errors import DeltaExpiredError
from provisioning.mapping.attributes import UserMapping, fingerprint_of
from provisioning.model import DeltaPage, UserChange

CHECKPOINT = "checkpoint"
MAPPING = "mapping"  # the fingerprint of the mapping the last complete read was made with
MAPPING_CHANGED = "the mapping changed: every user is read again, only changed values are written"
PENDING = "pending"  # deprovisions planned before a checkpoint, applied when the cycle completes


async def load_checkpoint(state: StateStore) -> tuple[dict[str, Any] | None, list[Held]]:
    checkpoint = await state.get_control(CHECKPOINT)
    return (dict(checkpoint) if checkpoint else None), (await load_held(state, PENDING) if checkpoint else [])


async def save_checkpoint(
    state: StateStore, next_link: str, held: list[Held], clock: Clock, *, mapping: str
) -> None:
    """`mapping` is the fingerprint the read was made with: a later mapping change starts over."""
    await state.clear_held_operations(PENDING)
    await state.add_held_operations(PENDING, [held_row(h) for h in held])
    row = {"UsersLink": next_link, "Saved": clock().isoformat(), "Mapping": mapping}
    await state.set_control(CHECKPOINT, row)


def cycle_fingerprint(users: UserMapping, licenses: Mapping[str, Sequence[str]] | None = None) -> str:
    """What every user's plan depends on: the user mapping, and the licenses section when one is set
    (a changed role -> license map re-plans every user, as a changed attribute mapping does)."""
    if not licenses:
        return users.fingerprint  # as before licenses existed: no full cycle after an upgrade
    mapped = {role: sorted(keys) for role, keys in sorted(licenses.items())}
    return fingerprint_of({"users": users.fingerprint, "licenses": mapped})


async def mapping_changed(state: StateStore, fingerprint: str) -> bool:
    """True when the last complete read was made with another mapping (or before one was kept)."""
    known = await state.get_control(MAPPING)
    return known is None or known.get("Fingerprint") != fingerprint


async def remember_mapping(state: StateStore, fingerprint: str, clock: Clock) -> None:
    """After a complete read made with a mapping `mapping_changed` called new."""
    await state.set_control(MAPPING, {"Fingerprint": fingerprint, "Since": clock().isoformat()})


async def clear_checkpoint(state: StateStore) -> None:
    await state.clear_held_operations(PENDING)
    await state.delete_control(CHECKPOINT)


async def open_users_delta(
    source: Source, run: CycleRun, resume: str | None, users_link: str | None, *, select: list[str]
) -> tuple[AsyncIterator[DeltaPage[UserChange]], DeltaPage[UserChange]]:
    """Resume from a checkpoint, else the watermark, else (expired) a full resync."""
    for link in [link for link in (resume, users_link) if link] + [None]:
        pages = source.iter_users_delta(link=link, select=select)
        try:
            first = await anext(pages)
        except DeltaExpiredError:
            if link is None:
                raise
            continue
        if link is None and users_link is not None:
            run.cycle.kind = "resync"
        return pages, first
    raise AssertionError("unreachable: the last candidate raises or returns")
