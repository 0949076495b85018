"""SCIM bodies from and to the engine's currency: values keyed by SCIM attribute path. No I/O.

A path is `attr`, `attr.sub`, `attr[fattr eq "x"].sub`, each optionally behind an extension URN
(`urn:...:enterprise:2.0:User:department`). None as a value means "clear the attribute".
Attribute names are matched case-insensitively when reading, as RFC 7643 §2.1 requires.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from provisioning.target.answers import ErrorInfo, ListPage, parse_error, parse_list
from provisioning.target.dialect import ScimDialect
from provisioning.target.paths import (
    ENTERPRISE_USER_SCHEMA,
    GROUP_SCHEMA,
    PATCH_OP_SCHEMA,
    USER_SCHEMA,
    AttributePath,
    get_ci,
    get_value,
    member_ids,
    parse_path,
    parse_resource,
    parse_user,
    same_value,
)

# -- building --------------------------------------------------------------------------------------


def build_resource(values: Mapping[str, Any], *, schema: str) -> dict[str, Any]:
    """A full resource for POST/PUT; None values are left out (on PUT that clears them)."""
    resource: dict[str, Any] = {"schemas": [schema]}
    for text, value in values.items():
        if value is None:
            continue
        path = parse_path(text)
        holder = resource
        if path.schema is not None:
            if path.schema not in resource["schemas"]:
                resource["schemas"].append(path.schema)
            holder = resource.setdefault(path.schema, {})
        _put(holder, path, value)
    return resource


def _put(holder: dict[str, Any], path: AttributePath, value: Any) -> None:
    if path.filter_attribute is None:
        if path.sub_attribute is None:
            holder[path.attribute] = value
        else:
            holder.setdefault(path.attribute, {})[path.sub_attribute] = value
        return
    entries: list[dict[str, Any]] = holder.setdefault(path.attribute, [])
    entry = next((e for e in entries if same_value(e.get(path.filter_attribute), path.filter_value)), None)
    created = entry is None
    if entry is None:
        entry = {path.filter_attribute: path.filter_value}
        entries.append(entry)
    if path.sub_attribute is not None:
        entry[path.sub_attribute] = value
    elif isinstance(value, Mapping):
        entry.update(value)
    else:
        raise ValueError(f"{path} names a whole entry: its value must be an object, not {value!r}")
    if created and len(entries) == 1 and path.filter_attribute == "type":
        entry["primary"] = True  # the one typed entry we manage is the preferred one (Entra does this)


def build_user(values: Mapping[str, Any]) -> dict[str, Any]:
    """A SCIM 2.0 User; the enterprise extension (and its schema URN) only when one of its paths is set."""
    return build_resource(values, schema=USER_SCHEMA)


def build_group(values: Mapping[str, Any], *, members: Iterable[str] = ()) -> dict[str, Any]:
    """A SCIM 2.0 Group; Entra creates groups empty and patches members in, so `members` is optional."""
    group = build_resource(values, schema=GROUP_SCHEMA)
    ids = list(dict.fromkeys(members))
    if ids:
        group["members"] = [{"value": member} for member in ids]
    return group


def build_patch(
    changes: Mapping[str, Any],
    *,
    dialect: ScimDialect | None = None,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A PatchOp from changed paths only: replace per path, None → remove, dialect casing and forms.

    With `current` (the account's known values by path) a filtered path is written as state needs it:
    an entry that exists is replaced in place, a missing one is added whole (RFC 7644 §3.5.2.3 answers
    `noTarget` to a replace whose filter matches nothing). Without it the dialect's blind form is used.
    """
    dialect = dialect or ScimDialect.goto()
    operations: list[dict[str, Any]] = []
    entries: dict[str, tuple[AttributePath, dict[str, Any]]] = {}
    for text, value in changes.items():
        path = parse_path(text)
        if path.filtered and path.sub_attribute is not None and current is not None:
            if current.get(text) is not None:  # the entry exists: replace (or remove) in place
                if value is None:
                    operations.append({"op": dialect.op("remove"), "path": text})
                else:
                    operations.append({"op": dialect.op("replace"), "path": text, "value": value})
            elif value is not None:  # missing: collect its sub-attributes into one added entry
                entries.setdefault(path.entry_path().lower(), (path, {}))[1][path.sub_attribute] = value
        elif path.filtered and path.sub_attribute is not None and dialect.filtered_value_patch == "entry":
            entries.setdefault(path.entry_path().lower(), (path, {}))[1][path.sub_attribute] = value
        elif value is None:
            operations.append({"op": dialect.op("remove"), "path": text})
        else:
            operations.append({"op": dialect.op("replace"), "path": text, "value": value})
    for path, subs in entries.values():
        if current is None:  # blind "entry" form: drop whatever entry is there, add the whole new one
            operations.append({"op": dialect.op("remove"), "path": path.entry_path()})
        kept = {sub: value for sub, value in subs.items() if value is not None}
        if kept:
            operations.append(
                {"op": dialect.op("add"), "path": path.attribute_path(), "value": [_entry(path, kept)]}
            )
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}


def _entry(path: AttributePath, subs: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {str(path.filter_attribute): path.filter_value, **subs}
    if path.filter_attribute == "type":
        entry["primary"] = True
    return entry


def has_filtered(changes: Iterable[str]) -> bool:
    """Whether any changed path goes through a value filter (`emails[type eq "work"].value`)."""
    return any(parse_path(text).filtered for text in changes)


def build_whole_attribute_patch(
    resource: Mapping[str, Any], changes: Mapping[str, Any], *, dialect: ScimDialect | None = None
) -> dict[str, Any]:
    """The filter-free form: each multi-valued attribute a filtered path touches is replaced whole,
    merged from `resource` (the account as just read), so entries we do not manage are kept."""
    dialect = dialect or ScimDialect.goto()
    plain = {text: value for text, value in changes.items() if not parse_path(text).filtered}
    filtered = {text: value for text, value in changes.items() if parse_path(text).filtered}
    body = build_patch(plain, dialect=dialect)
    merged = apply_values(resource, filtered)
    seen: set[str] = set()
    for text in filtered:
        path = parse_path(text)
        key = path.attribute_path().lower()
        if key in seen:
            continue
        seen.add(key)
        holder: Any = merged if path.schema is None else get_ci(merged, path.schema)
        entries = get_ci(holder, path.attribute) if isinstance(holder, Mapping) else None
        if entries:
            body["Operations"].append(
                {"op": dialect.op("replace"), "path": path.attribute_path(), "value": entries}
            )
        elif get_value(resource, path.attribute_path()):
            body["Operations"].append({"op": dialect.op("remove"), "path": path.attribute_path()})
    return body


def apply_values(resource: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`resource` with the changed paths written in (None clears), for a PUT of the whole resource."""
    merged: dict[str, Any] = copy.deepcopy(dict(resource))
    for text, value in changes.items():
        path = parse_path(text)
        holder = merged
        if path.schema is not None:
            key = next((k for k in merged if k.lower() == path.schema.lower()), path.schema)
            if value is None and not isinstance(merged.get(key), dict):
                continue
            holder = merged.setdefault(key, {})
            schemas = merged.setdefault("schemas", [])
            if value is not None and path.schema not in schemas:
                schemas.append(path.schema)
        _write(holder, path, value)
    return merged


def _key(holder: Mapping[str, Any], name: str) -> str:
    return next((k for k in holder if k.lower() == name.lower()), name)


def _write(holder: dict[str, Any], path: AttributePath, value: Any) -> None:
    name = _key(holder, path.attribute)
    if path.filter_attribute is None:
        if path.sub_attribute is None:
            if value is None:
                holder.pop(name, None)
            else:
                holder[name] = value
            return
        complex_value = holder.get(name)
        if not isinstance(complex_value, dict):
            if value is None:
                return
            complex_value = holder[name] = {}
        sub = _key(complex_value, path.sub_attribute)
        if value is None:
            complex_value.pop(sub, None)
        else:
            complex_value[sub] = value
        return
    entries = holder.get(name)
    if not isinstance(entries, list):
        entries = []
    match = next(
        (
            e
            for e in entries
            if isinstance(e, dict) and same_value(get_ci(e, str(path.filter_attribute)), path.filter_value)
        ),
        None,
    )
    if match is None:
        if value is None:
            return
        if path.sub_attribute is None and not isinstance(value, Mapping):
            raise ValueError(f"{path} names a whole entry: its value must be an object, not {value!r}")
        subs = {path.sub_attribute: value} if path.sub_attribute is not None else dict(value)
        match = _entry(path, subs)
        if path.filter_attribute == "type" and any(isinstance(e, dict) and e.get("primary") for e in entries):
            match.pop("primary", None)  # another entry is already the preferred one
        entries.append(match)
    elif path.sub_attribute is None:
        if value is None:
            entries.remove(match)
        else:
            match.update(value)
    elif value is None:
        match.pop(_key(match, path.sub_attribute), None)
        if set(k.lower() for k in match) <= {str(path.filter_attribute).lower(), "primary"}:
            entries.remove(match)
    else:
        match[_key(match, path.sub_attribute)] = value
    if entries:
        holder[name] = entries
    else:
        holder.pop(name, None)


def _chunks(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def build_add_members(
    member_ids: Iterable[str], *, dialect: ScimDialect | None = None
) -> list[dict[str, Any]]:
    """One PatchOp per `members_per_request` ids (duplicates dropped); [] when there is nothing to add."""
    dialect = dialect or ScimDialect.goto()
    return [
        {
            "schemas": [PATCH_OP_SCHEMA],
            "Operations": [
                {"op": dialect.op("add"), "path": "members", "value": [{"value": i} for i in chunk]}
            ],
        }
        for chunk in _chunks(member_ids, dialect.members_per_request)
    ]


def build_remove_members(
    member_ids: Iterable[str], *, dialect: ScimDialect | None = None
) -> list[dict[str, Any]]:
    """Entra's value-list form or one `members[value eq "id"]` operation per member, per the dialect."""
    dialect = dialect or ScimDialect.goto()
    bodies: list[dict[str, Any]] = []
    for chunk in _chunks(member_ids, dialect.members_per_request):
        if dialect.member_removal == "value_list":
            operations = [
                {"op": dialect.op("remove"), "path": "members", "value": [{"value": i} for i in chunk]}
            ]
        else:
            operations = [
                {"op": dialect.op("remove"), "path": f"members[value eq {json.dumps(i, ensure_ascii=False)}]"}
                for i in chunk
            ]
        bodies.append({"schemas": [PATCH_OP_SCHEMA], "Operations": operations})
    return bodies


def patch_operations(body: Mapping[str, Any]) -> list[Any]:
    operations = get_ci(body, "Operations")
    return operations if isinstance(operations, list) else []


# -- filters ---------------------------------------------------------------------------------------


def filter_literal(value: Any, *, dialect: ScimDialect | None = None) -> str:
    """A comparison value as RFC 7644 §3.4.2.2 wants it: JSON, so `"` and `\\` are escaped."""
    dialect = dialect or ScimDialect.goto()
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return json.dumps(value)
    if not isinstance(value, str):
        raise ValueError(f"cannot filter on a {type(value).__name__} value")
    return json.dumps(value, ensure_ascii=dialect.filter_escape_non_ascii)


def eq_filter(path: str, value: Any, *, dialect: ScimDialect | None = None) -> str:
    parse_path(path)  # refuse what is not a path before it reaches the peer
    return f"{path} eq {filter_literal(value, dialect=dialect)}"


__all__ = [  # payload is the SCIM body facade: paths.py reads, answers.py parses answers
    "ENTERPRISE_USER_SCHEMA",
    "GROUP_SCHEMA",
    "PATCH_OP_SCHEMA",
    "USER_SCHEMA",
    "AttributePath",
    "ErrorInfo",
    "ListPage",
    "apply_values",
    "build_add_members",
    "build_group",
    "build_patch",
    "build_remove_members",
    "build_resource",
    "build_user",
    "build_whole_attribute_patch",
    "eq_filter",
    "filter_literal",
    "get_value",
    "has_filtered",
    "member_ids",
    "parse_error",
    "parse_list",
    "parse_path",
    "parse_resource",
    "parse_user",
    "patch_operations",
]
