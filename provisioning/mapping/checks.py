"""What is wrong with a mapping file, as (path, message) pairs: JSON Schema errors said plainly, and
the checks a schema cannot express (target paths, duplicates, matching, expressions, scoping).

Every check reads the raw data defensively (a wrong type is the schema's finding, not a crash here),
so one pass reports everything that is wrong.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import jsonschema
import yaml

from provisioning.errors import ConfigError
from provisioning.mapping.expressions import ExpressionError, parse
from provisioning.mapping.scoping import parse_clause
from provisioning.target.paths import parse_path

PathPart = str | int
Path = tuple[PathPart, ...]
Problem = tuple[Path, str]

SOURCES = ("source", "constant", "expression")
RESERVED_TARGETS = {
    "active": "follows the lifecycle (true while in scope, false once out of scope); it cannot be mapped",
    "id": "is GoTo's own id; it cannot be mapped",
    "meta": "is written by GoTo; it cannot be mapped",
    "schemas": "is set from the targets' extension URNs; it cannot be mapped",
    "members": "follows the group's members in Entra; it cannot be mapped",
}
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


# -- JSON Schema errors, said plainly --------------------------------------------------------------


def explain(error: jsonschema.ValidationError) -> Iterator[Problem]:
    """One schema error as problems at the exact key (a missing or unknown key is named in the path)."""
    at: Path = tuple(error.absolute_path)
    keyword, instance, expected = error.validator, error.instance, error.validator_value
    if keyword == "required" and isinstance(instance, dict):
        for key in expected:
            if key not in instance:
                yield (*at, key), "required, but missing"
    elif keyword == "additionalProperties" and isinstance(instance, dict):
        known = list(error.schema.get("properties", {}))
        for key in instance:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                yield (*at, key), f"unknown key; {hint}expected one of: {', '.join(known)}"
    elif keyword == "oneOf" and isinstance(instance, dict):
        given = [key for key in SOURCES if key in instance]
        if not given:
            yield at, "no source: give one of source (an Entra attribute), constant or expression"
        else:
            yield at, f"{' and '.join(given)} given: use exactly one of source, constant, expression"
    elif keyword == "not" and isinstance(instance, dict):
        yield (*at, "default"), "a constant is never null, so a default has no use: drop one of them"
    elif keyword == "enum":
        yield at, f"{_show(instance)} is not one of: {', '.join(str(v) for v in expected)}"
    elif keyword == "const":
        yield at, f"must be {_show(expected)} (got {_show(instance)}): the only format this release reads"
    elif keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        shown = "" if isinstance(instance, dict | list) else f" {_show(instance)}"
        yield at, f"expected {wanted}, got {_type_name(instance)}{shown}"
    elif keyword == "minimum":
        yield at, f"must be a whole number from {expected} up (got {_show(instance)}); 1 is tried first"
    elif keyword in ("minItems", "minLength"):
        yield at, "must not be empty"
    elif keyword == "uniqueItems":
        yield at, "lists a value more than once"
    elif keyword == "pattern" and at[-1:] in (("target",), ("expression",)):
        yield at, "must not be blank"
    elif keyword == "pattern" and at[-1:] == ("source",):
        yield (
            at,
            (
                f"{_show(instance)} is not an Entra attribute name: letters, digits and _, with at most one "
                "`.name` for a property inside a complex one (employeeOrgData.costCenter)"
            ),
        )
    else:
        yield at, error.message


def _show(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), type(value).__name__)


# -- what the schema cannot say --------------------------------------------------------------------


def semantic_problems(data: Any) -> Iterator[Problem]:
    """Target paths, duplicate targets and precedences, a matching attribute, expressions, scoping."""
    if not isinstance(data, dict):
        return
    for section in ("users", "groups"):
        part = data.get(section)
        rows = part.get("mappings") if isinstance(part, dict) else None
        if isinstance(rows, list) and rows:
            yield from _row_problems(section, rows)
    users = data.get("users")
    if isinstance(users, dict):
        yield from _scoping_problems(users.get("scoping"))


def _row_problems(section: str, rows: Sequence[Any]) -> Iterator[Problem]:
    targets: dict[str, int] = {}
    precedences: dict[int, int] = {}
    matching_seen = False
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        at: Path = (section, "mappings", index)
        target = row.get("target")
        if isinstance(target, str) and target.strip():
            key, problem = _target_problem(target)
            if problem is not None:
                yield (*at, "target"), problem
            elif key in targets:
                yield (
                    (*at, "target"),
                    f"{_show(target)} is already the target of {section}.mappings[{targets[key]}]",
                )
            else:
                targets[key] = index
        matching = row.get("matching")
        matching_seen = matching_seen or "matching" in row  # a wrong value is the schema's finding
        if isinstance(matching, int) and not isinstance(matching, bool) and matching >= 1:
            if matching in precedences:
                taken = f"{section}.mappings[{precedences[matching]}]"
                yield (*at, "matching"), f"precedence {matching} is already taken by {taken}"
            else:
                precedences[matching] = index
            if "constant" in row:
                yield (*at, "matching"), "a constant cannot be a matching attribute: every object would match"
        expression = row.get("expression")
        if isinstance(expression, str) and expression.strip():
            yield from _expression_problems((*at, "expression"), expression)
    if not matching_seen:
        yield (
            (section, "mappings"),
            ("no matching attribute: give the entry that pairs existing GoTo objects `matching: 1`"),
        )


def _target_problem(target: str) -> tuple[str, str | None]:
    """(the path's canonical key, a problem or None)."""
    try:
        parsed = parse_path(target)
    except ValueError:
        return target, (
            f"{_show(target)} is not a SCIM attribute path: use attr, attr.sub or "
            'attr[type eq "work"].sub, optionally behind an extension URN'
        )
    reserved = RESERVED_TARGETS.get(parsed.attribute.casefold()) if parsed.schema is None else None
    if reserved is not None and parsed.sub_attribute is None:
        return target, f"{parsed.attribute} {reserved}"
    return str(parsed).casefold(), None


def _expression_problems(at: Path, text: str) -> Iterator[Problem]:
    """The parser's own finding (unknown function, argument count, syntax) with its position."""
    try:
        parse(text)
    except ExpressionError as exc:
        where = ""
        if exc.column is not None:
            line = f"line {exc.line}, " if exc.line is not None and exc.line > 1 else ""
            where = f"at {line}column {exc.column}: "
        yield at, where + exc.reason


def _scoping_problems(scoping: Any) -> Iterator[Problem]:
    """The scoping module's checks, clause by clause so that every bad clause is reported."""
    if not isinstance(scoping, list):
        return
    for i, rule in enumerate(scoping):
        for j, clause in enumerate(rule if isinstance(rule, list) else []):
            if not _clause_shaped(clause):
                continue  # the schema's finding
            try:
                parse_clause(clause, setting=f"scoping[{i}][{j}]")
            except ConfigError as exc:
                yield _scoping_path(exc.setting), exc.problems[0][1]


def _clause_shaped(clause: Any) -> bool:
    return (
        isinstance(clause, dict)
        and set(clause) <= {"attribute", "operator", "value"}
        and all(isinstance(clause.get(key), str) and clause[key] for key in ("attribute", "operator"))
    )


def _scoping_path(setting: str) -> Path:
    """`scoping[0][1].operator` (the scoping module's name for a field) under `users`."""
    path: list[PathPart] = ["users"]
    for chunk in setting.replace("]", "").replace("[", ".").split("."):
        if chunk:
            path.append(int(chunk) if chunk.isdigit() else chunk)
    if path[1:2] != ["scoping"]:
        path.insert(1, "scoping")
    return tuple(path)


# -- YAML lines and duplicate keys -----------------------------------------------------------------


def line_of(node: Any, path: Path) -> int | None:
    """The 1-based line of the deepest node on `path` in a YAML node tree (None without a tree)."""
    if node is None:
        return None
    line = int(node.start_mark.line) + 1
    for part in path:
        found = _child(node, part)
        if found is None:
            break
        node, line = found[1], int(found[0].start_mark.line) + 1
    return line


def _child(node: Any, part: PathPart) -> tuple[Any, Any] | None:
    """(the node whose line names `part`: its key, or the list item; the value node)."""
    if isinstance(node, yaml.MappingNode):
        return next(((key, value) for key, value in node.value if key.value == str(part)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def duplicate_keys(node: Any, at: Path = ()) -> Iterator[Problem]:
    """YAML keeps the last of two equal keys silently; a reviewed file should not."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            line = int(key.start_mark.line) + 1
            if key.value in seen:
                yield (*at, key.value), f"given twice (lines {seen[key.value]} and {line}); keep one"
            else:
                seen[key.value] = line
            yield from duplicate_keys(value, (*at, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from duplicate_keys(item, (*at, index))
