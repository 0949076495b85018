"""SCIM 2.0 PatchOp (RFC 7644 §3.5.2) as Entra sends it, applied to a copy of a resource dict.

Entra's habits accepted on purpose: op names in any case ("Replace"), path-less values whose keys
are themselves paths (`{"name.givenName": "x"}`), and removing members with a value list
(`{"op": "Remove", "path": "members", "value": [{"value": id}]}`).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from sandbox.goto.constants import ENTERPRISE_SCHEMA, GETGO_SCHEMA, PATCH_SCHEMA
from sandbox.goto.errors import ScimError
from sandbox.goto.resource import find_key, get_ci, strip_core_prefix

EXTENSIONS = (ENTERPRISE_SCHEMA, GETGO_SCHEMA)
READ_ONLY = frozenset({"id", "meta", "schemas", GETGO_SCHEMA.lower()})

_ATTR = r"[A-Za-z$][\w$\-]*"
_PATH = re.compile(
    rf"^(?P<attr>{_ATTR})"
    r'(?:\[\s*(?P<fattr>[A-Za-z][\w.]*)\s+(?P<fop>[A-Za-z]{2})\s+(?P<fval>"(?:[^"\\]|\\.)*"|[^\]\s]+)\s*\])?'
    rf"(?:\.(?P<sub>{_ATTR}))?$"
)


@dataclass(frozen=True)
class Path:
    extension: str | None  # the extension URN that holds `attribute`, or None for core attributes
    attribute: str
    filter_attr: str | None = None
    filter_value: Any = None
    sub: str | None = None


def _syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def _bad_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def parse_path(text: str) -> Path:
    rest = strip_core_prefix(text.strip())
    extension: str | None = None
    lowered = rest.lower()
    for urn in EXTENSIONS:
        if lowered == urn.lower():
            return Path(None, urn)
        if lowered.startswith(urn.lower() + ":"):
            extension, rest = urn, rest[len(urn) + 1 :]
            break
    else:
        if lowered.startswith("urn:"):
            raise _bad_path(f"unknown schema in path {text!r}")
    match = _PATH.match(rest)
    if match is None:
        raise _bad_path(f"unsupported path {text!r}")
    filter_value: Any = None
    if match.group("fattr"):
        if match.group("fop").lower() != "eq":
            raise _bad_path(f"only eq value filters are supported in paths: {text!r}")
        try:
            filter_value = json.loads(match.group("fval"))
        except ValueError as exc:
            raise _bad_path(f"bad literal in path {text!r}") from exc
    return Path(extension, match.group("attr"), match.group("fattr"), filter_value, match.group("sub"))


def apply_patch(resource: dict[str, Any], body: Any) -> dict[str, Any]:
    """Returns the patched copy; the caller validates it and commits it only if it is valid."""
    if not isinstance(body, dict):
        raise _syntax("a PatchOp body must be a JSON object")
    schemas = get_ci(body, "schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA.lower() not in [str(s).lower() for s in schemas]:
        raise _syntax(f"schemas must contain {PATCH_SCHEMA}")
    operations = get_ci(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise _syntax("Operations must be a non-empty list")
    patched = copy.deepcopy(resource)
    for operation in operations:
        _apply_one(patched, operation)
    return patched


def _apply_one(resource: dict[str, Any], operation: Any) -> None:
    if not isinstance(operation, dict):
        raise _syntax("each operation must be a JSON object")
    op = get_ci(operation, "op")
    if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
        raise _syntax(f"op must be add, replace or remove, not {op!r}")
    op = op.lower()
    path_text = get_ci(operation, "path")
    has_value = find_key(operation, "value") is not None
    value = get_ci(operation, "value")
    if path_text is not None and not isinstance(path_text, str):
        raise _syntax("path must be a string")
    if op == "remove":
        if not path_text:
            raise ScimError(400, "remove needs a path", "noTarget")
        _remove(resource, parse_path(path_text), value if has_value else None)
        return
    if not has_value:
        raise _syntax(f"{op} needs a value")
    if path_text:
        _set(resource, parse_path(path_text), value, op)
        return
    if not isinstance(value, dict):
        raise _syntax(f"{op} without a path needs an object value")
    for key, item in value.items():
        if key.lower() in ("schemas", "meta"):
            continue
        _set(resource, parse_path(key), item, op)


def _container(resource: dict[str, Any], path: Path, *, create: bool) -> dict[str, Any] | None:
    if path.attribute.lower() in READ_ONLY or (path.extension or "").lower() in READ_ONLY:
        raise ScimError(400, f"{path.extension or path.attribute} is read-only", "mutability")
    if path.extension is None:
        return resource
    key = find_key(resource, path.extension)
    if key is None:
        if not create:
            return None
        resource[path.extension] = {}
        key = path.extension
    holder = resource[key]
    if not isinstance(holder, dict):
        raise _bad_path(f"{path.extension} is not an object")
    return holder


def _matches(element: Any, path: Path) -> bool:
    if not isinstance(element, dict) or path.filter_attr is None:
        return False
    actual = get_ci(element, path.filter_attr)
    wanted = path.filter_value
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual.casefold() == wanted.casefold()
    return bool(actual == wanted)


def _identity(item: Any) -> Any:
    """Multi-valued items are told apart by their `value` sub-attribute (members, emails)."""
    if isinstance(item, dict) and find_key(item, "value") is not None:
        return ("value", json.dumps(get_ci(item, "value"), sort_keys=True))
    return ("item", json.dumps(item, sort_keys=True))


def _merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, item in update.items():
        target[find_key(target, key) or key] = item


def _set(resource: dict[str, Any], path: Path, value: Any, op: str) -> None:
    holder = _container(resource, path, create=True)
    assert holder is not None
    key = find_key(holder, path.attribute) or path.attribute
    current = holder.get(key)
    if path.filter_attr is not None:
        items = current if isinstance(current, list) else []
        matched = [e for e in items if _matches(e, path)]
        if not matched:  # Entra expects "set the work email" to create it when absent
            created: dict[str, Any] = {path.filter_attr: path.filter_value}
            items.append(created)
            matched = [created]
        for element in matched:
            if path.sub is not None:
                element[find_key(element, path.sub) or path.sub] = value
            elif isinstance(value, dict):
                _merge(element, value)
            else:
                raise _syntax(f"a filtered path without a sub-attribute needs an object value: {value!r}")
        holder[key] = items
        return
    if path.sub is not None:
        parent = current if isinstance(current, dict) else {}
        parent[find_key(parent, path.sub) or path.sub] = value
        holder[key] = parent
        return
    if isinstance(current, list) and op == "add":
        additions = value if isinstance(value, list) else [value]
        seen = {_identity(e) for e in current}
        for item in additions:
            if _identity(item) not in seen:
                current.append(item)
                seen.add(_identity(item))
        return
    if isinstance(current, dict) and isinstance(value, dict):
        _merge(current, value)
        return
    holder[key] = value


def _remove(resource: dict[str, Any], path: Path, value: Any) -> None:
    holder = _container(resource, path, create=False)
    if holder is None:
        return
    key = find_key(holder, path.attribute)
    if key is None:
        return
    current = holder[key]
    if path.filter_attr is not None:
        if not isinstance(current, list):
            return
        if path.sub is None:
            holder[key] = [e for e in current if not _matches(e, path)]
        else:
            for element in current:
                if _matches(element, path) and (sub := find_key(element, path.sub)) is not None:
                    del element[sub]
        return
    if path.sub is not None:
        if isinstance(current, dict) and (sub := find_key(current, path.sub)) is not None:
            del current[sub]
        return
    if value is not None and isinstance(current, list):
        doomed = {_identity(v) for v in (value if isinstance(value, list) else [value])}
        holder[key] = [e for e in current if _identity(e) not in doomed]
        return
    del holder[key]
