"""One call for the function tests: parse an expression and evaluate it on some attributes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from provisioning.mapping.expressions import Evaluation, parse

FIXED_NOW = datetime(2021, 7, 2, 15, 33, 38, tzinfo=UTC)  # the reference's Now() example: 7/2/2021 3:33:38 PM


def run(
    text: str,
    attributes: Mapping[str, Any] | None = None,
    *,
    existing: Callable[[str], bool] | None = None,
    now: datetime = FIXED_NOW,
) -> Evaluation:
    return parse(text).evaluate(attributes or {}, existing=existing, now=now)


def value(text: str, attributes: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    return run(text, attributes, **kwargs).value
