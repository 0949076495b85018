"""SCIM attribute paths and reading resources by path: `attr`, `attr.sub`, `attr[fattr eq "x"].sub`,
each optionally behind an extension URN. Names are matched case-insensitively, as RFC 7643 §2.1 says."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

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


@functools.lru_cache(maxsize=1024)
def parse_path(text: str) -> AttributePath:
    """Raises ValueError for what this module cannot express (only `eq` value filters, one level).
    Cached: a mapping has a few dozen paths, and every user's payload parsed each of them (20 calls
    per created user)."""
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


def get_ci(obj: Mapping[str, Any], name: str) -> Any:
    if name in obj:
        return obj[name]
    lowered = name.lower()
    return next((value for key, value in obj.items() if key.lower() == lowered), None)


def same_value(actual: Any, wanted: Any) -> bool:
    """Filter comparison: strings ignore case (caseExact=false for type and most sub-attributes)."""
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual.casefold() == wanted.casefold()
    return bool(actual == wanted)


def get_value(resource: Mapping[str, Any], path: str | AttributePath) -> Any:
    """The value at `path`, None when any step is missing; the first matching entry of a filter wins."""
    parsed = parse_path(path) if isinstance(path, str) else path
    holder: Any = resource if parsed.schema is None else get_ci(resource, parsed.schema)
    if not isinstance(holder, Mapping):
        return None
    value = get_ci(holder, parsed.attribute)
    if parsed.filter_attribute is not None:
        if not isinstance(value, list):
            return None
        value = next(
            (
                entry
                for entry in value
                if isinstance(entry, Mapping)
                and same_value(get_ci(entry, parsed.filter_attribute), parsed.filter_value)
            ),
            None,
        )
    if parsed.sub_attribute is not None:
        return get_ci(value, parsed.sub_attribute) if isinstance(value, Mapping) else None
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
                kind = str(get_ci(entry, "type"))
                if kind.casefold() in seen:  # a second entry of one type is unreachable by path
                    continue
                seen.add(kind.casefold())
                for sub, item in entry.items():
                    if sub.lower() not in ("type", "primary"):
                        yield f"{prefix}{key}[type eq {json.dumps(kind, ensure_ascii=False)}].{sub}", item
        else:
            yield f"{prefix}{key}", value


def _typed(entry: Any) -> bool:
    return isinstance(entry, Mapping) and isinstance(get_ci(entry, "type"), str)


def parse_user(resource: Mapping[str, Any], *, paths: Iterable[str] | None = None) -> dict[str, Any]:
    return parse_resource(resource, paths=paths)


def member_ids(group: Mapping[str, Any]) -> list[str]:
    members = get_ci(group, "members")
    if not isinstance(members, list):
        return []
    return [str(v) for m in members if isinstance(m, Mapping) and (v := get_ci(m, "value")) is not None]
