"""String functions: Append, ConvertToBase64, ConvertToUTF8Hex, CStr, InStr, Join, Left, Mid,
NormalizeDiacritics, PCase, Split, StripSpaces, ToLower, ToUpper, Word."""

from __future__ import annotations

import base64
import unicodedata
from typing import Any

from provisioning.mapping.expressions.errors import ExpressionError
from provisioning.mapping.expressions.registry import Context, function
from provisioning.mapping.expressions.values import MISSING, to_int, to_str

# letters NFD does not decompose, as in the reference's table (æ -> ae, ø -> oe, ß -> ss, ł -> l …)
_UNDECOMPOSABLE = str.maketrans(
    {"æ": "ae", "Æ": "AE", "ǣ": "ae", "Ǣ": "AE", "ø": "oe", "Ø": "OE", "œ": "oe", "Œ": "OE",
     "ß": "ss", "ł": "l", "Ł": "L", "\u0131": "i", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H"}
)  # fmt: skip


@function("Append", "source", "suffix")
def append(_: Context, args: list[Any]) -> str | None:
    source, suffix = to_str(args[0]), to_str(args[1])
    return None if source is None else source + (suffix or "")


@function("ConvertToBase64", "source")
def convert_to_base64(_: Context, args: list[Any]) -> str | None:
    """Base64 of the UTF-16LE bytes (.NET's "Unicode"): "Hello world!" -> "SABlAGwA…"."""
    source = to_str(args[0])
    return None if source is None else base64.b64encode(source.encode("utf-16-le")).decode("ascii")


@function("ConvertToUTF8Hex", "source")
def convert_to_utf8_hex(_: Context, args: list[Any]) -> str | None:
    source = to_str(args[0])
    return None if source is None else source.encode("utf-8").hex().upper()


@function("CStr", "value")
def cstr(_: Context, args: list[Any]) -> str | None:
    return to_str(args[0])


@function("InStr", "value1", "value2", "?start", "?compareType")
def instr(_: Context, args: list[Any]) -> int | None:
    """1-based position of value2 in value1 from `start`, 0 when absent; vbTextCompare ignores case."""
    value, wanted = to_str(args[0]), to_str(args[1])
    if value is None or wanted is None:
        return None
    start = 1 if len(args) < 3 or args[2] is MISSING else to_int(args[2], "start")
    if start < 1:
        raise ExpressionError(f"start must be 1 or more, got {start}")
    mode = args[3] if len(args) > 3 and args[3] is not MISSING else "vbBinaryCompare"
    if mode not in ("vbBinaryCompare", "vbTextCompare", 0, 1):
        raise ExpressionError("compareType must be vbBinaryCompare or vbTextCompare")
    if mode in ("vbTextCompare", 1):
        value, wanted = value.casefold(), wanted.casefold()
    return value.find(wanted, start - 1) + 1


@function("Join", "separator", "source", "source*")
def join(_: Context, args: list[Any]) -> str:
    """Null and empty sources are skipped (the reference's `Join(", ", "", [surname], [givenName])`);
    a multi-valued source contributes each of its values."""
    separator = to_str(args[0]) or ""
    parts: list[str] = []
    for source in args[1:]:
        for item in source if isinstance(source, list) else [source]:
            text = to_str(item)
            if text:
                parts.append(text)
    return separator.join(parts)


@function("Left", "String", "NumChars")
def left(_: Context, args: list[Any]) -> str:
    source = to_str(args[0])
    count = to_int(args[1], "NumChars")
    if source is None or count == 0:
        return ""
    return source if count < 0 else source[:count]


@function("Mid", "source", "start", "length")
def mid(_: Context, args: list[Any]) -> str | None:
    source = to_str(args[0])
    start, length = to_int(args[1], "start"), to_int(args[2], "length")
    if start < 1 or length < 0:
        raise ExpressionError(f"start must be 1 or more and length 0 or more, got {start} and {length}")
    return None if source is None else source[start - 1 : start - 1 + length]


@function("NormalizeDiacritics", "source")
def normalize_diacritics(_: Context, args: list[Any]) -> str | None:
    source = to_str(args[0])
    if source is None:
        return None
    decomposed = unicodedata.normalize("NFD", source.translate(_UNDECOMPOSABLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _default_separator(char: str) -> bool:
    """.NET ToTitleCase's separators: anything that is not a letter, a mark or a digit."""
    return unicodedata.category(char)[0] not in "LMN"


@function("PCase", "source", "?wordSeparators")
def pcase(_: Context, args: list[Any]) -> str | None:
    """First letter of each word upper case, the rest lower case (even words written in capitals)."""
    source = to_str(args[0])
    if source is None:
        return None
    given = to_str(args[1]) if len(args) > 1 and args[1] is not MISSING else None
    chars: list[str] = []
    at_start = True
    for char in source:
        chars.append(char.upper() if at_start else char.lower())
        at_start = (char in given) if given is not None else _default_separator(char)
    return "".join(chars)


@function("Split", "source", "delimiter")
def split(_: Context, args: list[Any]) -> list[str] | None:
    """Values around each delimiter, without the spaces around them (the reference's example)."""
    source, delimiter = to_str(args[0]), to_str(args[1])
    if source is None:
        return None
    if not delimiter:
        raise ExpressionError("delimiter cannot be empty")
    return [part.strip() for part in source.split(delimiter)]


@function("StripSpaces", "source")
def strip_spaces(_: Context, args: list[Any]) -> str | None:
    source = to_str(args[0])
    return None if source is None else source.replace(" ", "")


def _culture(args: list[Any]) -> str:
    """Invariant culture unless told; Turkish and Azeri have their own dotted and dotless i."""
    culture = to_str(args[1]) if len(args) > 1 and args[1] is not MISSING else ""
    return (culture or "").split("-")[0].lower()


@function("ToLower", "source", "?culture")
def to_lower(_: Context, args: list[Any]) -> str | None:
    source = to_str(args[0])
    if source is None:
        return None
    if _culture(args) in ("tr", "az"):
        source = source.replace("I", "\u0131").replace("\u0130", "i")  # dotless and dotted i
    return source.lower()


@function("ToUpper", "source", "?culture")
def to_upper(_: Context, args: list[Any]) -> str | None:
    source = to_str(args[0])
    if source is None:
        return None
    if _culture(args) in ("tr", "az"):
        source = source.replace("i", "\u0130")
    return source.upper()


@function("Word", "String", "WordNumber", "Delimiters")
def word(_: Context, args: list[Any]) -> str:
    """The n-th (1-based) run of characters between any of the delimiter characters; "" if none."""
    source, delimiters = to_str(args[0]), to_str(args[2]) or ""
    number = to_int(args[1], "WordNumber")
    if source is None or number < 1:
        return ""
    words: list[str] = []
    current: list[str] = []
    for char in source + (delimiters[:1] or " "):
        if char in delimiters or (not delimiters and char == " "):
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(char)
    return words[number - 1] if number <= len(words) else ""
