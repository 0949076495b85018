"""What expression values are, and the conversions every function shares (Entra's string-first typing)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from provisioning.mapping.expressions.errors import ExpressionError


class _Missing:
    """An optional argument left empty (`Replace([x], , "a", …)`): not null, simply not given."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
ENTRA_DATE_FORMAT = "M/d/yyyy h:mm:ss tt"  # what Now, CDate and DateAdd return, in UTC


def lookup(attributes: Mapping[str, Any], name: str) -> Any:
    """The attribute's value, or None when absent; `a.b` reads b inside the complex property a."""
    if name in attributes:
        return attributes[name]
    value: Any = attributes
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def is_null_or_empty(value: Any) -> bool:
    """Entra treats an absent attribute, an empty string and an empty list alike."""
    return value is None or value is MISSING or value == "" or (isinstance(value, list) and not value)


def format_entra_date(moment: datetime) -> str:
    """`M/d/yyyy h:mm:ss tt` in UTC, e.g. 3/16/2020 7:00:00 AM."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    hour12 = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (
        f"{moment.month}/{moment.day}/{moment.year} {hour12}:{moment.minute:02d}:{moment.second:02d} {half}"
    )


def to_str(value: Any) -> str | None:
    """The string form Entra compares and joins: True/False like .NET, dates in Entra's format."""
    if value is None or value is MISSING:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return format_entra_date(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(s for s in (to_str(v) for v in value) if s is not None)
    return str(value)


def to_int(value: Any, what: str) -> int:
    """An integer argument (a number or a string of digits); `what` names it in the error."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ExpressionError(f"{what} must be an integer, got {_shown(value)}")


def to_number(value: Any) -> int | float | None:
    """A number if the value reads as one (for comparisons and CBool), else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                continue
    return None


def truthy(value: Any) -> bool:
    """A condition's truth: booleans, "True"/"False" (any case), non-zero numbers."""
    if isinstance(value, bool):
        return value
    if is_null_or_empty(value):
        return False
    if isinstance(value, str):
        if value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        number = to_number(value)
        return number is not None and number != 0
    if isinstance(value, int | float):
        return value != 0
    return True


def output(value: Any) -> str | int | float | bool | list[Any] | None:
    """A value as the caller receives it: dates as Entra's string, lists element by element."""
    if value is MISSING:
        return None
    if isinstance(value, datetime):
        return format_entra_date(value)
    if isinstance(value, list):
        return [output(v) for v in value]
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
