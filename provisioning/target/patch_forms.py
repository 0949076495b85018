"""PatchOp spellings a peer may refuse, and the other form to try: pure, no I/O.

A peer that says "this is not how I spell a request" (as opposed to "your data is wrong") gets the
same change once more in the other spelling; what works is remembered in Capabilities.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from provisioning.errors import BadRequestError
from provisioning.target import payload

# 400s that say "this is not how I spell a request", as opposed to "your data is wrong".
FORM_REFUSALS = frozenset({"invalidSyntax", "invalidValue"})
_OP_WORD = re.compile(r"\bops?\b|\bPatchOp\b|'(?:Add|Replace|Remove)'", re.IGNORECASE)
_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def same_name(a: Any, b: Any) -> bool:
    """userName/displayName equality as caseExact=false reads it: ASCII letters fold, nothing else does."""
    return isinstance(a, str) and isinstance(b, str) and a.translate(_ASCII_FOLD) == b.translate(_ASCII_FOLD)


def refuses_op_case(exc: BadRequestError) -> bool:
    """A 400 that may be about the spelling of `op` (not about the data): worth one lower-case try."""
    if exc.scim_type not in (None, *FORM_REFUSALS):
        return False
    return exc.detail is None or exc.scim_type == "invalidSyntax" or bool(_OP_WORD.search(exc.detail))


def lower_ops(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The PatchOp with lower-case ops, or None when it has none in another case."""
    operations = payload.patch_operations(body)
    if not any(
        isinstance(o, dict) and isinstance(o.get("op"), str) and o["op"] != o["op"].lower()
        for o in operations
    ):
        return None
    lowered = [
        {**o, "op": o["op"].lower()} if isinstance(o, dict) and isinstance(o.get("op"), str) else o
        for o in operations
    ]
    return {**body, "Operations": lowered}


def removed_ids(body: Mapping[str, Any]) -> list[str]:
    """The member ids a removal PatchOp names, in either form (to resend them in the other form)."""
    ids: list[str] = []
    for operation in payload.patch_operations(body):
        path = str(operation.get("path", ""))
        if path.startswith("members["):
            parsed = payload.parse_path(path)
            ids.append(str(parsed.filter_value))
        else:
            ids.extend(
                str(v["value"]) for v in operation.get("value") or [] if isinstance(v, dict) and "value" in v
            )
    return ids
