"""Loading the mapping file (MAPPINGS_FILE, YAML or JSON by extension): JSON Schema, then the checks
the schema cannot express, every problem reported at once with its path in the file
(`users.mappings[3].expression: at column 12: expected ')'`) and, for YAML, its line.

The built-in default (`default-mappings.yaml`, packaged next to this module) goes through the same
code, so what an admin gets without a file is checked like what they would write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from provisioning.errors import ConfigError
from provisioning.mapping import checks
from provisioning.mapping.attributes import ApplyWhen, AttributeMapping, GroupMapping, UserMapping
from provisioning.mapping.model import MappingFile

SETTING = "MAPPINGS_FILE"
SCHEMA_RESOURCE = "mappings.schema.json"
DEFAULT_RESOURCE = "default-mappings.yaml"
_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}

PathPart = str | int


@dataclass(frozen=True, slots=True)
class MappingProblem:
    """One problem: where in the file (`users.mappings[3].target`), what is wrong, the YAML line."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def render(self) -> str:
        """The CLI's line: path first, the line number (when known) last."""
        return f"{self}" if self.line is None else f"{self} (line {self.line})"


class MappingFileError(ConfigError):
    """The mapping file cannot be used: `errors` holds every problem found, in file order."""

    def __init__(self, origin: str, errors: Sequence[MappingProblem]) -> None:
        self.origin = origin
        self.errors = list(errors)
        summary = "; ".join(str(p) for p in self.errors)
        super().__init__(
            SETTING,
            f"{origin}: {len(self.errors)} problem(s): {summary}",
            problems=[(SETTING, f"{origin}: {p}") for p in self.errors],
        )


def load_mapping_file(path: str | Path) -> MappingFile:
    """The file at `path` (.yaml, .yml or .json), checked; MappingFileError names the file."""
    name = str(path)
    kind = _FORMATS.get(Path(name).suffix.lower())
    if kind is None:
        raise MappingFileError(name, [MappingProblem(name, "unknown file type: use .yaml, .yml or .json")])
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MappingFileError(
            name, [MappingProblem(name, f"cannot read the mapping file: {reason}")]
        ) from None
    return parse_mapping_text(text, kind=kind, origin=name)


def load_mappings(path: str | Path | None) -> MappingFile:
    """What MAPPINGS_FILE names (blank or None: the built-in default), checked."""
    text = str(path).strip() if path is not None else ""
    return load_mapping_file(text) if text else load_default()


@cache
def load_default() -> MappingFile:
    """The packaged default-mappings.yaml: today's mapping plus the GoTo connector's extension rows."""
    text = resources.files(__package__).joinpath(DEFAULT_RESOURCE).read_text(encoding="utf-8")
    return parse_mapping_text(text, kind="yaml", origin=f"built-in {DEFAULT_RESOURCE}")


@cache
def mapping_schema() -> dict[str, Any]:
    """The shipped JSON Schema (draft 2020-12), also usable by editors for completion."""
    loaded: dict[str, Any] = json.loads(
        resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    )
    return loaded


def parse_mapping_text(text: str, *, kind: str, origin: str) -> MappingFile:
    """Text of a mapping file (`kind` "yaml" or "json") to a MappingFile, or every problem at once."""
    data, lines, problems = _read(text, kind, origin)
    if not problems:
        problems = [*_schema_problems(data), *checks.semantic_problems(data), *checks.duplicate_keys(lines)]
    if problems:
        raise MappingFileError(origin, _ordered(problems, lines))
    return _build(data, origin)


# -- reading ---------------------------------------------------------------------------------------


def _read(text: str, kind: str, origin: str) -> tuple[Any, Any, list[checks.Problem]]:
    """(data, YAML node tree or None, problems): a syntax error is the only problem reported then."""
    if kind == "json":
        try:
            return json.loads(text), None, []
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            return None, None, [((), f"not valid JSON at {where}: {exc.msg}")]
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        return None, None, [((), f"not valid YAML{where}: {reason}")]
    finally:
        loader.dispose()
    if data is None:
        return None, None, [((), f"{origin} is empty: it needs at least `version: 1` and `users.mappings`")]
    return data, node, []


def _schema_problems(data: Any) -> Iterator[checks.Problem]:
    validator = jsonschema.Draft202012Validator(mapping_schema())
    for error in validator.iter_errors(data):
        yield from checks.explain(error)


def _ordered(problems: list[checks.Problem], lines: Any) -> list[MappingProblem]:
    unique = dict.fromkeys(problems)
    ordered = sorted(unique, key=lambda p: (_sort_key(p[0]), p[1]))
    return [MappingProblem(format_path(p), m, checks.line_of(lines, p)) for p, m in ordered]


def _sort_key(path: tuple[PathPart, ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple((1, p, "") if isinstance(p, int) else (0, 0, p) for p in path)


def format_path(path: Sequence[PathPart]) -> str:
    """`("users", "mappings", 3, "expression")` -> `users.mappings[3].expression`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.replace("_", "a").isalnum() and part[:1].isalpha():
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text or "(file)"


# -- building --------------------------------------------------------------------------------------


def _build(data: Mapping[str, Any], origin: str) -> MappingFile:
    users = data["users"]
    groups = data.get("groups")
    return MappingFile(
        users=UserMapping(
            _rows(users["mappings"]),
            scoping=tuple(tuple(dict(c) for c in f) for f in users.get("scoping") or ()),
        ),
        groups=GroupMapping(_rows(groups["mappings"])) if groups is not None else load_default().groups,
        licenses={str(role): tuple(keys) for role, keys in (data.get("licenses") or {}).items()},
        version=data["version"],
        origin=origin,
    )


def _rows(entries: Sequence[Mapping[str, Any]]) -> tuple[AttributeMapping, ...]:
    return tuple(
        AttributeMapping(
            entry["target"],
            entry.get("source"),
            ApplyWhen(entry.get("apply", ApplyWhen.ALWAYS.value)),
            entry.get("matching"),
            constant=entry.get("constant"),
            expression=entry.get("expression"),
            default=entry.get("default"),
        )
        for entry in entries
    )
