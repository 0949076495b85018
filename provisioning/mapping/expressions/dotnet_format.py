""".NET custom date and time format strings, read and written (FormatDateTime, CDate).

Supported specifiers: yyyy yy MMMM MMM MM M dddd ddd dd d HH H hh h mm m ss s f…fffffff F…FFFFFFF
tt t zzz zz z K, ':' '/', quoted 'literals' and "literals", \\c; any other character is a literal
(so the Z of "yyyyMMddHHmmss.fZ" and the T of ISO dates). Standard formats: d, G, o/O, s, u.
Anything else (eras g/gg, %c single-specifier formats) is refused with an ExpressionError.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from provisioning.mapping.expressions.errors import ExpressionError

STANDARD = {
    "d": "M/d/yyyy",
    "G": "M/d/yyyy h:mm:ss tt",
    "o": "yyyy-MM-ddTHH:mm:ss.fffffffK",
    "O": "yyyy-MM-ddTHH:mm:ss.fffffffK",
    "s": "yyyy-MM-ddTHH:mm:ss",
    "u": "yyyy-MM-dd HH:mm:ssZ",
}
_SPECIFIERS = ("yyyy", "yy", "MMMM", "MMM", "MM", "M", "dddd", "ddd", "dd", "d", "HH", "H", "hh", "h",
               "mm", "m", "ss", "s", "tt", "t", "zzz", "zz", "z", "K")  # fmt: skip
_MONTHS = list(calendar.month_name)[1:]
_DAYS = list(calendar.day_name)


@dataclass(frozen=True, slots=True)
class Token:
    spec: str  # a specifier from _SPECIFIERS, "f"*n / "F"*n, or "" for a literal
    text: str = ""


@lru_cache(maxsize=128)
def tokenize(fmt: str) -> tuple[Token, ...]:
    fmt = STANDARD.get(fmt, fmt) if len(fmt) == 1 else fmt
    if len(fmt) == 1:
        raise ExpressionError(f"unsupported standard date format '{fmt}' (supported: {', '.join(STANDARD)})")
    tokens: list[Token] = []
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char in "'\"":
            end = fmt.find(char, i + 1)
            if end < 0:
                raise ExpressionError(f"unterminated quoted literal in date format '{fmt}'")
            tokens.append(Token("", fmt[i + 1 : end]))
            i = end + 1
        elif char == "\\" and i + 1 < len(fmt):
            tokens.append(Token("", fmt[i + 1]))
            i += 2
        elif char in "fF":
            run = len(fmt[i:]) - len(fmt[i:].lstrip(char))
            if run > 7:
                raise ExpressionError(f"at most 7 '{char}' in a date format, got {run}")
            tokens.append(Token(char * run))
            i += run
        elif char == "y":
            run = len(fmt[i:]) - len(fmt[i:].lstrip("y"))
            tokens.append(Token("yy" if run <= 2 else "yyyy"))
            i += run
        elif char in "g%":
            raise ExpressionError(f"unsupported date format specifier '{char}' in '{fmt}'")
        else:
            spec = next((s for s in _SPECIFIERS if fmt.startswith(s, i)), None)
            if spec is None:
                tokens.append(Token("", char))
                i += 1
            else:
                tokens.append(Token(spec))
                i += len(spec)
    return tuple(tokens)


_PATTERNS = {
    "yyyy": r"(?P<year>\d{4})", "yy": r"(?P<year2>\d{2})", "MMMM": r"(?P<monthname>[A-Za-z]+)",
    "MMM": r"(?P<monthabbr>[A-Za-z]{3})", "MM": r"(?P<month>\d{2})", "M": r"(?P<month>\d{1,2})",
    "dddd": r"[A-Za-z]+", "ddd": r"[A-Za-z]{3}", "dd": r"(?P<day>\d{2})", "d": r"(?P<day>\d{1,2})",
    "HH": r"(?P<hour>\d{2})", "H": r"(?P<hour>\d{1,2})", "hh": r"(?P<hour12>\d{2})",
    "h": r"(?P<hour12>\d{1,2})", "mm": r"(?P<minute>\d{2})", "m": r"(?P<minute>\d{1,2})",
    "ss": r"(?P<second>\d{2})", "s": r"(?P<second>\d{1,2})", "tt": r"(?P<half>[AaPp][Mm])",
    "t": r"(?P<half>[AaPp])", "zzz": r"(?P<offset>[+-]\d{2}:\d{2})", "zz": r"(?P<offset>[+-]\d{2})",
    "z": r"(?P<offset>[+-]\d{1,2})", "K": r"(?P<offset>Z|[+-]\d{2}:\d{2})?",
}  # fmt: skip


@lru_cache(maxsize=128)
def _matcher(fmt: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    for token in tokenize(fmt):
        if not token.spec:
            parts.append(re.escape(token.text))
            continue
        if token.spec[0] in "fF":
            digits = len(token.spec)
            body = (
                rf"(?P<fraction>\d{{{digits}}})"
                if token.spec[0] == "f"
                else rf"(?P<fraction>\d{{0,{digits}}})"
            )
            pattern = body
        else:
            pattern = _PATTERNS[token.spec]
        group = re.search(r"\?P<(\w+)>", pattern)
        if group and group.group(1) in seen:
            pattern = re.sub(r"\?P<\w+>", "?:", pattern)  # a field written twice is read once
        elif group:
            seen.add(group.group(1))
        parts.append(pattern)
    return re.compile(r"\s*" + "".join(parts) + r"\s*", re.IGNORECASE)


def parse(text: str, fmt: str) -> datetime:
    """`text` read with `fmt`, in UTC (an offset in the text is applied; none means UTC)."""
    found = _matcher(fmt).fullmatch(text)
    if found is None:
        raise ExpressionError(f"'{text}' does not match the date format '{fmt}'")
    field = found.groupdict()
    year = (
        int(field["year"]) if field.get("year") else 2000 + int(field["year2"]) if field.get("year2") else 1
    )
    month = _month(field)
    hour = int(field.get("hour") or 0)
    if field.get("hour12"):
        hour = int(field["hour12"]) % 12 + (12 if (field.get("half") or "a").lower().startswith("p") else 0)
    fraction = (field.get("fraction") or "").ljust(6, "0")[:6]
    try:
        moment = datetime(
            year,
            month,
            int(field.get("day") or 1),
            hour,
            int(field.get("minute") or 0),
            int(field.get("second") or 0),
            int(fraction),
            tzinfo=_zone(field.get("offset")),
        )
    except ValueError as exc:
        raise ExpressionError(f"'{text}' is not a valid date: {exc}") from None
    return moment.astimezone(UTC)


def _month(field: dict[str, str | None]) -> int:
    name = field.get("monthname") or field.get("monthabbr")
    if name:
        for index, month in enumerate(_MONTHS, start=1):
            if month.lower() == name.lower() or month[:3].lower() == name.lower():
                return index
        raise ExpressionError(f"unknown month name '{name}'")
    return int(field.get("month") or 1)


def _zone(offset: str | None) -> timezone:
    if not offset or offset.upper() == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    hours, _, minutes = offset[1:].partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def format_date(moment: datetime, fmt: str) -> str:
    """`moment` written with `fmt` (invariant culture: English month and day names)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    out: list[str] = []
    for token in tokenize(fmt):
        out.append(token.text if not token.spec else _field(moment, token.spec))
    return "".join(out)


def _field(moment: datetime, spec: str) -> str:
    if spec[0] in "fF":
        digits = f"{moment.microsecond:06d}0"[: len(spec)]
        return digits.rstrip("0") if spec[0] == "F" else digits
    offset = moment.utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours12 = moment.hour % 12 or 12
    hh, mm = f"{abs(minutes) // 60:02d}", f"{abs(minutes) % 60:02d}"
    values = {
        "yyyy": f"{moment.year:04d}", "yy": f"{moment.year % 100:02d}", "MMMM": _MONTHS[moment.month - 1],
        "MMM": _MONTHS[moment.month - 1][:3], "MM": f"{moment.month:02d}", "M": str(moment.month),
        "dddd": _DAYS[moment.weekday()], "ddd": _DAYS[moment.weekday()][:3], "dd": f"{moment.day:02d}",
        "d": str(moment.day), "HH": f"{moment.hour:02d}", "H": str(moment.hour), "hh": f"{hours12:02d}",
        "h": str(hours12), "mm": f"{moment.minute:02d}", "m": str(moment.minute),
        "ss": f"{moment.second:02d}", "s": str(moment.second), "tt": "AM" if moment.hour < 12 else "PM",
        "t": "A" if moment.hour < 12 else "P", "zzz": f"{sign}{hh}:{mm}",
        "zz": f"{sign}{abs(minutes) // 60:02d}", "z": f"{sign}{abs(minutes) // 60}",
        "K": "Z" if minutes == 0 else f"{sign}{hh}:{mm}",
    }  # fmt: skip
    return values[spec]
