"""Dates: CDate, DateAdd, DateDiff, DateFromNum, FormatDateTime, Now, NumFromDate. Every DateTime is
UTC; one that reaches the target is written `M/d/yyyy h:mm:ss tt`, as Entra does."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any

from provisioning.mapping.expressions import dotnet_format
from provisioning.mapping.expressions.errors import ExpressionError
from provisioning.mapping.expressions.nodes import Empty, Literal, Node
from provisioning.mapping.expressions.registry import Context, function
from provisioning.mapping.expressions.values import (
    ENTRA_DATE_FORMAT,
    MISSING,
    format_entra_date,
    to_int,
    to_str,
)

INTERVALS = ("yyyy", "m", "d", "ww", "h", "n", "s")
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)  # AD dates count 100-nanosecond ticks from here
DATE_TIME_STYLES = {
    "None", "AllowLeadingWhite", "AllowTrailingWhite", "AllowInnerWhite", "AllowWhiteSpaces",
    "AssumeLocal", "AssumeUniversal", "AdjustToUniversal", "NoCurrentDateDefault", "RoundtripKind",
}  # fmt: skip
# what CDate reads besides ISO 8601 (datetime.fromisoformat): a date with an offset and Entra's own form
_CDATE_FORMATS = ("yyyy-MM-ddzzz", ENTRA_DATE_FORMAT, "M/d/yyyy H:mm:ss", "M/d/yyyy")


def read_date(value: Any, what: str) -> datetime | None:
    """A DateTime from a DateTime or a date string (CDate's rules); None for null."""
    if value is None or value is MISSING:
        return None
    if isinstance(value, datetime):
        return value
    text = to_str(value) or ""
    for fmt in _CDATE_FORMATS:  # before fromisoformat, which reads "2021-06-30+08:00" as 08:00 o'clock
        try:
            return dotnet_format.parse(text, fmt)
        except ExpressionError:
            continue
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ExpressionError(f"{what} '{text}' is not a date (ISO 8601 or M/d/yyyy h:mm:ss tt)") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_interval(args: tuple[Node, ...]) -> tuple[str, Node | None] | None:
    interval = args[0]
    if isinstance(interval, Literal) and interval.value not in INTERVALS:
        return f"interval must be one of {', '.join(INTERVALS)}, got '{interval.value}'", interval
    return None


@function("CDate", "expression")
def cdate(_: Context, args: list[Any]) -> datetime | None:
    return read_date(args[0], "expression")


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later, the day clipped to the month's last (Jan 31 + 1 month = Feb 28/29)."""
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@function("DateAdd", "interval", "value", "dateTime", check=_check_interval)
def date_add(_: Context, args: list[Any]) -> datetime | None:
    interval, count = to_str(args[0]), to_int(args[1], "value")
    moment = read_date(args[2], "dateTime")
    if moment is None:
        return None
    if interval == "yyyy":
        return add_months(moment, 12 * count)
    if interval == "m":
        return add_months(moment, count)
    units = {"d": "days", "ww": "weeks", "h": "hours", "n": "minutes", "s": "seconds"}
    if interval not in units:
        raise ExpressionError(f"interval must be one of {', '.join(INTERVALS)}, got '{interval}'")
    return moment + timedelta(**{units[interval]: count})


def _week_start(moment: datetime) -> datetime:
    """The Sunday that starts moment's week (VBA's DateDiff counts Sundays crossed for "ww")."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@function("DateDiff", "interval", "date1", "date2", check=_check_interval)
def date_diff(_: Context, args: list[Any]) -> int | None:
    """How many interval boundaries lie between date1 and date2 (positive when date2 is later)."""
    interval = to_str(args[0])
    first, second = read_date(args[1], "date1"), read_date(args[2], "date2")
    if first is None or second is None:
        return None
    if interval == "yyyy":
        return second.year - first.year
    if interval == "m":
        return (second.year - first.year) * 12 + second.month - first.month
    if interval == "ww":
        return (_week_start(second) - _week_start(first)).days // 7
    if interval == "d":
        return (second.date() - first.date()).days
    seconds = {"h": 3600, "n": 60, "s": 1}.get(interval or "")
    if seconds is None:
        raise ExpressionError(f"interval must be one of {', '.join(INTERVALS)}, got '{interval}'")
    return int(second.timestamp() // seconds - first.timestamp() // seconds)


@function("DateFromNum", "value")
def date_from_num(_: Context, args: list[Any]) -> datetime | None:
    """An AD date (100-ns ticks since 1601-01-01 UTC, e.g. lastLogonTimestamp) as a DateTime."""
    if args[0] is None or args[0] == "":
        return None
    ticks = to_int(args[0], "value")
    return FILETIME_EPOCH + timedelta(microseconds=ticks // 10)


def _check_format(args: tuple[Node, ...]) -> tuple[str, Node | None] | None:
    styles = args[1]
    if isinstance(styles, Literal):
        unknown = [s for s in _styles(str(styles.value)) if s not in DATE_TIME_STYLES]
        if unknown:
            return (
                f"unknown dateTimeStyles '{unknown[0]}' (known: {', '.join(sorted(DATE_TIME_STYLES))})",
                styles,
            )
    for fmt in args[2:4]:
        if isinstance(fmt, Literal) and not isinstance(fmt, Empty):
            try:
                dotnet_format.tokenize(str(fmt.value))
            except ExpressionError as exc:
                return exc.reason, fmt
    return None


def _styles(text: str) -> list[str]:
    return [s.strip().removeprefix("DateTimeStyles.") for s in text.replace("|", ",").split(",") if s.strip()]


@function("FormatDateTime", "source", "?dateTimeStyles", "inputFormat", "outputFormat", check=_check_format)
def format_date_time(_: Context, args: list[Any]) -> str | None:
    """Reads source with inputFormat and writes it with outputFormat (.NET custom formats); a source
    offset is applied, so the result is in UTC like the rest of Entra's date functions."""
    source = args[0]
    if source is None or source == "":
        return None
    moment = (
        source
        if isinstance(source, datetime)
        else dotnet_format.parse(to_str(source) or "", to_str(args[2]) or "")
    )
    return dotnet_format.format_date(moment, to_str(args[3]) or "")


@function("Now")
def now(context: Context, args: list[Any]) -> str:
    return format_entra_date(context.now)


@function("NumFromDate", "value")
def num_from_date(_: Context, args: list[Any]) -> int | None:
    """An ISO 8601 date as an AD date (ticks since 1601, e.g. for accountExpires)."""
    moment = read_date(args[0], "value")
    if moment is None:
        return None
    delta = moment - FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10
