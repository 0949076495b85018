"""SCIM bodies from and to the engine's currency: values keyed by SCIM attribute path. No I/O.

A path is `attr`, `attr.sub`, `attr[fattr eq "x"].sub`, each optionally behind an extension URN
(`urn:...:enterprise:2.0:User:department`). None as a value means "clear the attribute".
Attribute names are matched case-insensitively when reading, as RFC 7643 §2.1 requires.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from scim2_models import Error

from provisioning.target.dialect import ScimDialect

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

_CORE_SCHEMAS = (USER_SCHEMA, GROUP_SCHEMA)
_SKIPPED_ON_PARSE = frozenset({"schemas", "id", "meta"})
_ATTR = r"[A-Za-z$][\w$\-]*"
_SEGMENT = re.compile(
    rf"^(?P<attr>{_ATTR})"
    r'(?:\[\s*(?P<fattr>[A-Za-z][\w.]*)\s+(?i:eq)\s+(?P<fval>"(?:[^"\\]|\\.)*"|[^\]\s]+)\s*\])?'
    rf"(?:\.(?P<sub>{_ATTR}))?$"
)


@dataclass(frozen=True, slots=True)
class AttributePath:
    """One parsed attribute path; `schema` is an extension URN, None for core attributes."""

    attribute: str
    schema: str | None = None
    filter_attribute: str | None = None
    filter_value: Any = None
    sub_attribute: str | None = None

    @property
    def filtered(self) -> bool:
        return self.filter_attribute is not None

    def entry_path(self) -> str:
        """The path of the whole multi-valued entry, e.g. `emails[type eq "work"]`."""
        text = self.attribute
        if self.filter_attribute is not None:
            text += f"[{self.filter_attribute} eq {json.dumps(self.filter_value, ensure_ascii=False)}]"
        return f"{self.schema}:{text}" if self.schema else text

    def attribute_path(self) -> str:
        return f"{self.schema}:{self.attribute}" if self.schema else self.attribute

    def __str__(self) -> str:
        text = self.entry_path()
        return f"{text}.{self.sub_attribute}" if self.sub_attribute else text


def parse_path(text: str) -> AttributePath:
    """Raises ValueError for what this module cannot express (only `eq` value filters, one level)."""
    rest = text.strip()
    schema: str | None = None
    if rest.lower().startswith("urn:"):
        head_end = rest.find("[")
        head = rest if head_end < 0 else rest[:head_end]
        if ":" not in head:
            raise ValueError(f"bad attribute path {text!r}")
        urn, _, attr_head = head.rpartition(":")  # `...:User:manager.value`: the URN ends at the last colon
        schema, rest = urn, attr_head + ("" if head_end < 0 else rest[head_end:])
        if any(schema.lower() == core.lower() for core in _CORE_SCHEMAS):
            schema = None
    match = _SEGMENT.match(rest)
    if match is None:
        raise ValueError(f"unsupported attribute path {text!r}")
    filter_value: Any = None
    if match.group("fattr"):
        try:
            filter_value = json.loads(match.group("fval"))
        except ValueError as exc:
            raise ValueError(f"bad filter literal in attribute path {text!r}") from exc
    return AttributePath(
        attribute=match.group("attr"),
        schema=schema,
        filter_attribute=match.group("fattr"),
        filter_value=filter_value,
        sub_attribute=match.group("sub"),
    )


# -- reading ---------------------------------------------------------------------------------------


def _get_ci(obj: Mapping[str, Any], name: str) -> Any:
    if name in obj:
        return obj[name]
    lowered = name.lower()
    return next((value for key, value in obj.items() if key.lower() == lowered), None)


def _same(actual: Any, wanted: Any) -> bool:
    """Filter comparison: strings ignore case (caseExact=false for type and most sub-attributes)."""
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual.casefold() == wanted.casefold()
    return bool(actual == wanted)


def get_value(resource: Mapping[str, Any], path: str | AttributePath) -> Any:
    """The value at `path`, None when any step is missing; the first matching entry of a filter wins."""
    parsed = parse_path(path) if isinstance(path, str) else path
    holder: Any = resource if parsed.schema is None else _get_ci(resource, parsed.schema)
    if not isinstance(holder, Mapping):
        return None
    value = _get_ci(holder, parsed.attribute)
    if parsed.filter_attribute is not None:
        if not isinstance(value, list):
            return None
        value = next(
            (
                entry
                for entry in value
                if isinstance(entry, Mapping)
                and _same(_get_ci(entry, parsed.filter_attribute), parsed.filter_value)
            ),
            None,
        )
    if parsed.sub_attribute is not None:
        return _get_ci(value, parsed.sub_attribute) if isinstance(value, Mapping) else None
    return value


def parse_resource(resource: Mapping[str, Any], *, paths: Iterable[str] | None = None) -> dict[str, Any]:
    """Values by path. With `paths`: exactly those keys (None when absent), so the engine can compare."""
    if paths is not None:
        return {path: get_value(resource, path) for path in paths}
    values: dict[str, Any] = {}
    for key, value in resource.items():
        if key in _SKIPPED_ON_PARSE:
            continue
        if key.lower().startswith("urn:") and isinstance(value, Mapping):
            values.update(_flatten(value, f"{key}:"))
        else:
            values.update(_flatten({key: value}, ""))
    return values


def _flatten(obj: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, value in obj.items():
        if isinstance(value, Mapping):
            for sub, item in value.items():
                yield f"{prefix}{key}.{sub}", item
        elif isinstance(value, list) and value and all(_typed(e) for e in value):
            seen: set[str] = set()
            for entry in value:
                kind = str(_get_ci(entry, "type"))
                if kind.casefold() in seen:  # a second entry of one type is unreachable by path
                    continue
                seen.add(kind.casefold())
                for sub, item in entry.items():
                    if sub.lower() not in ("type", "primary"):
                        yield f"{prefix}{key}[type eq {json.dumps(kind, ensure_ascii=False)}].{sub}", item
        else:
            yield f"{prefix}{key}", value


def _typed(entry: Any) -> bool:
    return isinstance(entry, Mapping) and isinstance(_get_ci(entry, "type"), str)


def parse_user(resource: Mapping[str, Any], *, paths: Iterable[str] | None = None) -> dict[str, Any]:
    return parse_resource(resource, paths=paths)


def member_ids(group: Mapping[str, Any]) -> list[str]:
    members = _get_ci(group, "members")
    if not isinstance(members, list):
        return []
    return [str(v) for m in members if isinstance(m, Mapping) and (v := _get_ci(m, "value")) is not None]


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
    entry = next((e for e in entries if _same(e.get(path.filter_attribute), path.filter_value)), None)
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
        holder: Any = merged if path.schema is None else _get_ci(merged, path.schema)
        entries = _get_ci(holder, path.attribute) if isinstance(holder, Mapping) else None
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
            if isinstance(e, dict) and _same(_get_ci(e, str(path.filter_attribute)), path.filter_value)
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
    operations = _get_ci(body, "Operations")
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


# -- responses -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListPage:
    resources: list[dict[str, Any]]
    total_results: int | None
    start_index: int | None
    items_per_page: int | None


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def parse_list(body: Any, *, dialect: ScimDialect | None = None) -> ListPage:
    """A ListResponse page; resources under any of the dialect's list keys. Raises ValueError if malformed."""
    dialect = dialect or ScimDialect.goto()
    if not isinstance(body, Mapping):
        raise ValueError("a list response must be a JSON object")
    resources: Any = None
    for key in dialect.list_keys:
        if key in body:
            resources = body[key]
            break
    total = _int_or_none(_get_ci(body, "totalResults"))
    if resources is None:
        if total:
            raise ValueError(
                f"list response announces {total} results but holds none under {dialect.list_keys}"
            )
        resources = []
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise ValueError("list response resources must be a list of objects")
    return ListPage(
        resources=resources,
        total_results=total,
        start_index=_int_or_none(_get_ci(body, "startIndex")),
        items_per_page=_int_or_none(_get_ci(body, "itemsPerPage")),
    )


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    scim_type: str | None = None
    detail: str | None = None


_DETAIL_LIMIT = 500


def parse_error(body: bytes | str | None) -> ErrorInfo:
    """A SCIM error body (RFC 7644 §3.12) via scim2-models, else whatever a gateway put there."""
    if not body:
        return ErrorInfo()
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        return ErrorInfo(detail=text.strip()[:_DETAIL_LIMIT] or None)
    if not isinstance(data, dict):
        return ErrorInfo(detail=text.strip()[:_DETAIL_LIMIT] or None)
    try:
        error = Error.model_validate(data)
        if error.detail is not None or error.scim_type is not None:
            return ErrorInfo(scim_type=error.scim_type, detail=_short(error.detail))
    except ValidationError:
        pass
    detail = next(
        (
            str(v)
            for k in ("detail", "error_description", "message", "description", "error")
            if (v := _get_ci(data, k))
        ),
        None,
    )
    code = _get_ci(data, "code")
    if detail is None and isinstance(code, str) and code:  # GoTo's non-SCIM form: {"code": ..., "uri": ...}
        uri = _get_ci(data, "uri")
        detail = f"error code {code}" + (f" at {uri}" if isinstance(uri, str) and uri else "")
    scim_type = _get_ci(data, "scimType")
    return ErrorInfo(scim_type=str(scim_type) if scim_type else None, detail=_short(detail))


def _short(text: str | None) -> str | None:
    return None if text is None else text[:_DETAIL_LIMIT]
