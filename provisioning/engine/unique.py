"""SelectUniqueValue checks the target, as Entra's does: on create, each of its values is tried in
order and the first no GoTo account holds is written. GoTo is asked while the user is planned
(reads only: a dry run asks too); when every value is taken the user fails alone
(MappingExpressionFailed). A matching attribute is never made unique: the account that holds the
first value may be this very person's, to adopt, so such rows keep their first value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from provisioning.engine.apply import UserTarget
from provisioning.engine.plan import Action, Operation
from provisioning.mapping.attributes import AttributeMapping, UserMapping

UNIQUE_FUNCTION = "SelectUniqueValue"


def unique_rows(mapping: UserMapping) -> tuple[AttributeMapping, ...]:
    """Rows whose expression is a SelectUniqueValue (it is only allowed at the top level)."""
    return tuple(
        row
        for row in mapping.attributes
        if row.expression is not None
        and row.expression.lstrip().startswith(UNIQUE_FUNCTION)
        and row.matching_precedence is None
    )


async def with_unique_values(
    op: Operation, source: Mapping[str, Any], rows: tuple[AttributeMapping, ...], target: UserTarget
) -> Operation:
    """The create with each unique row's first value that GoTo does not hold yet."""
    if op.action is not Action.CREATE or not rows:
        return op
    values, desired = dict(op.values), dict(op.desired)
    for row in rows:
        taken: set[str] = set()
        while True:
            value, flows = row.value(source, existing=lambda candidate: candidate in taken)  # noqa: B023
            if not flows or value is None:
                break
            if await target.find_user(path=row.target, value=value) is None:
                break
            taken.add(str(value))
        if flows:
            values[row.target] = desired[row.target] = value
    return replace(op, values=values, desired=desired)
