"""Entra's scoping filters: clauses AND-ed within a filter, filters OR-ed; no filter = all in scope.

Operators as Microsoft documents them ("Scoping users or groups to be provisioned with scoping
filters"): string comparisons are case-sensitive; "Scoping filters will return false if the value is
null / empty", so a null or empty attribute makes every clause false except IS NULL (true). Greater_Than*
compare integers; `&` is true when every bit of the value is set in the attribute, `!&` when not.
REGEX MATCH searches (like .NET's Regex.IsMatch); multi-valued attributes never match.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from provisioning.errors import ConfigError
from provisioning.mapping.expressions.functions.replace import translate_pattern
from provisioning.mapping.expressions.values import is_null_or_empty, lookup, to_str

STRING_OPERATORS = ("EQUALS", "NOT EQUALS", "Includes", "ENDS_WITH", "REGEX MATCH", "NOT REGEX MATCH")
INTEGER_OPERATORS = ("Greater_Than", "Greater_Than_OR_EQUALS", "&", "!&")
VALUELESS_OPERATORS = ("IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL")
OPERATORS = STRING_OPERATORS + INTEGER_OPERATORS + VALUELESS_OPERATORS
CLAUSE_KEYS = ("attribute", "operator", "value")


class ScopingFilterError(ConfigError):
    """A scoping filter is malformed; `setting` is its path, e.g. filters[0][1].operator."""


@dataclass(frozen=True, slots=True)
class Clause:
    """One condition on one source attribute."""

    attribute: str
    operator: str
    value: str | int | None = None

    def matches(self, attributes: Mapping[str, Any]) -> bool:
        actual = lookup(attributes, self.attribute)
        if self.operator == "IS NULL":
            return is_null_or_empty(actual)
        if is_null_or_empty(actual) or isinstance(actual, list | dict):
            return False
        if self.operator == "IS NOT NULL":
            return True
        if self.operator in ("IS TRUE", "IS FALSE"):
            wanted = self.operator == "IS TRUE"
            return actual is wanted or (
                isinstance(actual, str) and actual.strip().lower() == str(wanted).lower()
            )
        if self.operator in INTEGER_OPERATORS:
            return _integer_clause(self.operator, actual, int(self.value or 0))
        text, wanted_text = to_str(actual) or "", str(self.value if self.value is not None else "")
        if self.operator == "EQUALS":
            return text == wanted_text
        if self.operator == "NOT EQUALS":
            return text != wanted_text
        if self.operator == "Includes":
            return wanted_text in text
        if self.operator == "ENDS_WITH":
            return text.endswith(wanted_text)
        found = _compiled(wanted_text).search(text) is not None
        return found if self.operator == "REGEX MATCH" else not found


def _integer_clause(operator: str, actual: Any, wanted: int) -> bool:
    if isinstance(actual, bool):
        return False
    if isinstance(actual, str):
        try:
            actual = int(actual.strip())
        except ValueError:
            return False
    if not isinstance(actual, int):
        return False
    if operator == "Greater_Than":
        return actual > wanted
    if operator == "Greater_Than_OR_EQUALS":
        return actual >= wanted
    all_set = actual & wanted == wanted
    return all_set if operator == "&" else not all_set


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(translate_pattern(pattern))


@dataclass(frozen=True, slots=True)
class ScopingFilters:
    """Filters OR-ed; each a tuple of clauses AND-ed. `attributes` are what they read ($select)."""

    filters: tuple[tuple[Clause, ...], ...] = ()

    def matches(self, attributes: Mapping[str, Any]) -> bool:
        if not self.filters:
            return True
        return any(all(clause.matches(attributes) for clause in f) for f in self.filters)

    @property
    def attributes(self) -> frozenset[str]:
        return frozenset(clause.attribute for f in self.filters for clause in f)


def parse_filters(data: Any, *, setting: str = "filters") -> ScopingFilters:
    """A list of filters, each a list of {"attribute", "operator", "value"} clauses, checked: every
    problem names its place, e.g. `filters[0][1].operator: unknown operator 'EQ'`."""
    if not isinstance(data, list):
        raise ScopingFilterError(setting, f"must be a list of filters (lists of clauses), got {_kind(data)}")
    filters: list[tuple[Clause, ...]] = []
    for i, clauses in enumerate(data):
        where = f"{setting}[{i}]"
        if not isinstance(clauses, list) or not clauses:
            raise ScopingFilterError(where, f"must be a non-empty list of clauses, got {_kind(clauses)}")
        filters.append(tuple(parse_clause(c, setting=f"{where}[{j}]") for j, c in enumerate(clauses)))
    return ScopingFilters(tuple(filters))


def parse_clause(data: Any, *, setting: str) -> Clause:
    if not isinstance(data, Mapping):
        raise ScopingFilterError(
            setting, f"must be an object with attribute, operator, value, got {_kind(data)}"
        )
    unknown = [k for k in data if k not in CLAUSE_KEYS]
    if unknown:
        raise ScopingFilterError(f"{setting}.{unknown[0]}", f"unknown key (known: {', '.join(CLAUSE_KEYS)})")
    attribute, operator, value = data.get("attribute"), data.get("operator"), data.get("value")
    if not isinstance(attribute, str) or not attribute.strip():
        raise ScopingFilterError(f"{setting}.attribute", "must be a non-empty attribute name")
    if operator not in OPERATORS:
        close = difflib.get_close_matches(str(operator), OPERATORS, n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(OPERATORS)})"
        raise ScopingFilterError(f"{setting}.operator", f"unknown operator {operator!r}{hint}")
    return Clause(attribute, operator, _value(operator, value, f"{setting}.value"))


def _value(operator: str, value: Any, where: str) -> str | int | None:
    if operator in VALUELESS_OPERATORS:
        if value not in (None, ""):
            raise ScopingFilterError(where, f"{operator} takes no value, got {value!r}")
        return None
    if isinstance(value, bool) or value is None or not isinstance(value, str | int):
        raise ScopingFilterError(where, f"{operator} needs a string or integer value, got {_kind(value)}")
    if operator in INTEGER_OPERATORS:
        try:
            return int(str(value).strip())
        except ValueError:
            raise ScopingFilterError(where, f"{operator} needs an integer, got {value!r}") from None
    if operator in ("REGEX MATCH", "NOT REGEX MATCH"):
        try:
            _compiled(str(value))
        except (re.error, IndexError) as exc:
            raise ScopingFilterError(where, f"not a valid regular expression: {exc}") from None
    return str(value)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
