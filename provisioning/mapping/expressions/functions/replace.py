"""Replace, in all the forms of Microsoft's reference, with .NET regular expressions translated to
Python's (`(?<name>…)` groups, `${name}` and `$1` in the replacement)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from provisioning.mapping.expressions.errors import ExpressionError
from provisioning.mapping.expressions.nodes import Empty, Literal, Node
from provisioning.mapping.expressions.registry import Context, function
from provisioning.mapping.expressions.values import MISSING, is_null_or_empty, to_str

SOURCE, OLD, PATTERN, GROUP, REPLACEMENT, REPLACEMENT_ATTRIBUTE, TEMPLATE = range(7)
FORMS = (
    "oldValue with replacementValue or template, regexPattern with replacementValue "
    "(and optionally regexGroupName), or regexPattern with regexGroupName and replacementAttributeName"
)


def translate_pattern(pattern: str) -> str:
    """A .NET pattern in Python's dialect: named groups `(?<n>…)`/`(?'n'…)` and `\\k<n>` back-references."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and pattern.startswith("k<", i + 1):
            end = pattern.find(">", i)
            out.append(f"(?P={pattern[i + 3 : end]})")
            i = end + 1
            continue
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
            continue
        if pattern.startswith("(?'", i):
            end = pattern.find("'", i + 3)
            out.append(f"(?P<{pattern[i + 3 : end]}>")
            i = end + 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(translate_pattern(pattern))
    except (re.error, IndexError) as exc:
        raise ExpressionError(f"regexPattern is not a valid regular expression: {exc}") from None


def expand(template: str, match: re.Match[str]) -> str:
    """A .NET replacement string for one match: `$$`, `${name}`, `$1`, `$&`; anything else literal."""
    out: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if char != "$" or i + 1 == len(template):
            out.append(char)
            i += 1
            continue
        nxt = template[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "&":
            out.append(match.group(0))
            i += 2
        elif nxt == "{" and "}" in template[i:]:
            end = template.index("}", i)
            name = template[i + 2 : end]
            out.append(_group(match, int(name) if name.isdigit() else name))
            i = end + 1
        elif nxt.isdigit():
            end = i + 1
            while end < len(template) and template[end].isdigit():
                end += 1
            out.append(_group(match, int(template[i + 1 : end])))
            i = end
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _group(match: re.Match[str], key: int | str) -> str:
    try:
        return match.group(key) or ""
    except (IndexError, re.error):
        return ""


def _check_replace(args: tuple[Node, ...]) -> tuple[str, Node | None] | None:
    given = [index < len(args) and not isinstance(args[index], Empty) for index in range(7)]
    if not _form(given):
        return f"give {FORMS}", None
    pattern = args[PATTERN] if given[PATTERN] else None
    if isinstance(pattern, Literal):
        try:
            compiled = compile_pattern(str(pattern.value))
        except ExpressionError as exc:
            return exc.reason, pattern
        group = args[GROUP] if given[GROUP] else None
        if isinstance(group, Literal) and str(group.value) not in compiled.groupindex:
            return f"regexGroupName '{group.value}' is not a named group of regexPattern", group
    return None


def _form(given: list[bool]) -> str | None:
    if given[OLD] and given[TEMPLATE]:
        return "template"
    if given[OLD] and given[REPLACEMENT]:
        return "value"
    if given[PATTERN] and given[GROUP] and given[REPLACEMENT_ATTRIBUTE]:
        return "extract"
    if given[PATTERN] and given[GROUP] and given[REPLACEMENT]:
        return "group"
    if given[PATTERN] and given[REPLACEMENT]:
        return "regex"
    return None


@function(
    "Replace",
    "source",
    "?oldValue",
    "?regexPattern",
    "?regexGroupName",
    "?replacementValue",
    "?replacementAttributeName",
    "?template",
    check=_check_replace,
)
def replace(_: Context, args: list[Any]) -> str | None:
    """Case-sensitive. A null source gives null, except in the replacementAttributeName form, where
    an empty source is what makes it read the other attribute."""
    values = [*args, *[MISSING] * (7 - len(args))]
    form = _form([v is not MISSING for v in values])
    source = to_str(values[SOURCE])
    if form == "extract":
        if not is_null_or_empty(source):
            return source
        other = to_str(values[REPLACEMENT_ATTRIBUTE])
        found = None if other is None else compile_pattern(to_str(values[PATTERN]) or "").search(other)
        return None if found is None else found.group(to_str(values[GROUP]) or "")
    if source is None:
        return None
    if form == "template":
        template = to_str(values[TEMPLATE])
        return None if template is None else template.replace(to_str(values[OLD]) or "", source)
    replacement = to_str(values[REPLACEMENT]) or ""
    if form == "value":
        old = to_str(values[OLD]) or ""
        return source.replace(old, replacement) if old else source
    pattern = compile_pattern(to_str(values[PATTERN]) or "")
    if form == "group":
        group = to_str(values[GROUP]) or ""
        if group not in pattern.groupindex:
            raise ExpressionError(f"regexGroupName '{group}' is not a named group of regexPattern")
        pieces: list[str] = []
        last = 0
        for match in pattern.finditer(source):
            start, end = match.span(group)
            if start < 0:
                continue
            pieces += [source[last:start], replacement]
            last = end
        return "".join([*pieces, source[last:]])
    return pattern.sub(lambda match: expand(replacement, match), source)
