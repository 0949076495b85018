"""users/delta and groups/delta: which entries a round carries, computed from version stamps.

A round since version V reports every object whose tracked properties, lifecycle or (for groups)
memberships changed after V, in the state the tenant is in when the round starts. Only the
properties in the first call's `$select` (or Graph's default set) are tracked and returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sandbox.graph.records import (
    DEFAULT_GROUP_DELTA_SELECT,
    DEFAULT_USER_SELECT,
    GroupRecord,
    UserRecord,
)
from sandbox.graph.tenant import Tenant
from sandbox.graph.tokens import DeltaQuery

Entry = dict[str, Any]


def tracked_properties(query: DeltaQuery) -> tuple[str, ...]:
    """The properties a round returns and watches, in `$select` order, `id` excluded."""
    if query.select is None:
        return DEFAULT_USER_SELECT if query.resource == "users" else DEFAULT_GROUP_DELTA_SELECT
    return tuple(p for p in query.select if p != "id")


def round_entries(
    tenant: Tenant, query: DeltaQuery, since: int | None, *, minimal: bool, max_members: int
) -> list[Entry]:
    """The entries of one round; `since=None` is the first (full) round."""
    with tenant.lock:
        if query.resource == "users":
            return _user_entries(tenant, query, since, minimal=minimal)
        return _group_entries(tenant, query, since, minimal=minimal, max_members=max_members)


def _user_entries(tenant: Tenant, query: DeltaQuery, since: int | None, *, minimal: bool) -> list[Entry]:
    props = tracked_properties(query)
    wanted = set(query.ids) if query.ids is not None else None
    entries: list[Entry] = []
    for record in tenant.user_records():
        if wanted is not None and record.id not in wanted:
            continue
        if since is None:
            # First round: everything that exists; soft-deleted users are still in the recycle bin.
            if record.state == "active":
                entries.append(_object(record, props))
            elif record.state == "soft_deleted":
                entries.append(_removed(record.id, "changed"))
            continue
        if record.lifecycle > since:
            if record.state == "active":
                entries.append(_object(record, props))
            else:
                entries.append(
                    _removed(record.id, "changed" if record.state == "soft_deleted" else "deleted")
                )
            continue
        if record.state != "active":
            continue
        changed = [p for p in props if record.prop_versions.get(p, 0) > since]
        if changed:
            entries.append(_object(record, changed if minimal else props))
    return entries


def _group_entries(
    tenant: Tenant, query: DeltaQuery, since: int | None, *, minimal: bool, max_members: int
) -> list[Entry]:
    tracked = tracked_properties(query)
    props = [p for p in tracked if p != "members"]
    with_members = "members" in tracked
    wanted = set(query.ids) if query.ids is not None else None
    entries: list[Entry] = []
    for record in tenant.group_records():
        if wanted is not None and record.id not in wanted:
            continue
        if since is None or record.lifecycle > since:
            if record.deleted:
                # a deleted group in the recycle bin is "changed" (restorable), even in a first round
                if since is not None or record.restorable:
                    entries.append(_removed(record.id, "changed" if record.restorable else "deleted"))
                continue
            members = _members(tenant, record, None) if with_members else []
            entries.extend(_group_chunks(record, props, members, max_members))
            continue
        if record.deleted:
            continue
        changed = [p for p in props if record.prop_versions.get(p, 0) > since]
        members = _members(tenant, record, since) if with_members else []
        if changed or members:
            entries.extend(_group_chunks(record, changed if minimal else props, members, max_members))
    return entries


def _members(tenant: Tenant, record: GroupRecord, since: int | None) -> list[Entry]:
    """members@delta items: all visible members (first round), else those that changed since."""
    out: list[Entry] = []
    for member_id, link in record.members.items():
        shown = tenant.is_shown(member_id, link)
        if since is None:
            if shown:
                out.append({"@odata.type": f"#microsoft.graph.{link.member_type}", "id": member_id})
        elif link.version > since:
            item: Entry = {"@odata.type": f"#microsoft.graph.{link.member_type}", "id": member_id}
            if not shown:
                item["@removed"] = {"reason": "deleted"}
            out.append(item)
    return out


def _group_chunks(
    record: GroupRecord, props: Sequence[str], members: list[Entry], max_members: int
) -> list[Entry]:
    """A big group is split: the first entry carries the properties, later ones only more members."""
    first = _object(record, props)
    if not members:
        return [first]
    chunks = [members[i : i + max_members] for i in range(0, len(members), max_members)]
    first["members@delta"] = chunks[0]
    return [first] + [{"id": record.id, "members@delta": chunk} for chunk in chunks[1:]]


def _object(record: UserRecord | GroupRecord, props: Sequence[str]) -> Entry:
    entry: Entry = {"id": record.id}
    for name in props:
        entry[name] = record.props.get(name)
    return entry


def _removed(object_id: str, reason: str) -> Entry:
    return {"id": object_id, "@removed": {"reason": reason}}


def paginate(entries: list[Entry], page_size: int, *, empty_page_every: int = 0) -> list[list[Entry]]:
    """Split into pages; with `empty_page_every=N` an empty page follows every N pages, as Graph may."""
    pages = [entries[i : i + page_size] for i in range(0, len(entries), page_size)] or [[]]
    if empty_page_every > 0:
        spaced: list[list[Entry]] = []
        for n, page in enumerate(pages, start=1):
            spaced.append(page)
            if n % empty_page_every == 0 and n < len(pages):
                spaced.append([])
        pages = spaced
    return pages
