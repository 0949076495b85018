"""SCIM answers read: list responses (under `Resources`, or GoTo's 1.x `resources`) and error bodies
(SCIM errors, or GoTo's `{"code", "uri"}`). No I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioning.target.dialect import ScimDialect
from provisioning.target.paths import get_ci

# -- responses -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListPage:
    resources: list[dict[str, Any]]
    total_results: int | None
    start_index: int | None
    items_per_page: int | None


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def parse_list(body: Any, *, dialect: ScimDialect | None = None) -> ListPage:
    """A ListResponse page; resources under any of the dialect's list keys. Raises ValueError if malformed."""
    dialect = dialect or ScimDialect.goto()
    if not isinstance(body, Mapping):
        raise ValueError("a list response must be a JSON object")
    resources: Any = None
    for key in dialect.list_keys:
        if key in body:
            resources = body[key]
            break
    total = _int_or_none(get_ci(body, "totalResults"))
    if resources is None:
        if total:
            raise ValueError(
                f"list response announces {total} results but holds none under {dialect.list_keys}"
            )
        resources = []
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise ValueError("list response resources must be a list of objects")
    return ListPage(
        resources=resources,
        total_results=total,
        start_index=_int_or_none(get_ci(body, "startIndex")),
        items_per_page=_int_or_none(get_ci(body, "itemsPerPage")),
    )


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    scim_type: str | None = None
    detail: str | None = None


_DETAIL_LIMIT = 500


def parse_error(body: bytes | str | None) -> ErrorInfo:
    """A SCIM error body (RFC 7644 §3.12) via scim2-models, else whatever a gateway put there."""
    if not body:
        return ErrorInfo()
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        return ErrorInfo(detail=text.strip()[:_DETAIL_LIMIT] or None)
    if not isinstance(data, dict):
        return ErrorInfo(detail=text.strip()[:_DETAIL_LIMIT] or None)
    # imported here: scim2-models costs 0.5 s at import, on every CLI start and cold start
    from pydantic import ValidationError
    from scim2_models import Error

    try:
        error = Error.model_validate(data)
        if error.detail is not None or error.scim_type is not None:
            return ErrorInfo(scim_type=error.scim_type, detail=_short(error.detail))
    except ValidationError:
        pass
    detail = next(
        (
            str(v)
            for k in ("detail", "error_description", "message", "description", "error")
            if (v := get_ci(data, k))
        ),
        None,
    )
    code = get_ci(data, "code")
    if detail is None and isinstance(code, str) and code:  # GoTo's non-SCIM form: {"code": ..., "uri": ...}
        uri = get_ci(data, "uri")
        detail = f"error code {code}" + (f" at {uri}" if isinstance(uri, str) and uri else "")
    scim_type = get_ci(data, "scimType")
    return ErrorInfo(scim_type=str(scim_type) if scim_type else None, detail=_short(detail))


def _short(text: str | None) -> str | None:
    return None if text is None else text[:_DETAIL_LIMIT]
