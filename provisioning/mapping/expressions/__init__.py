"""Entra ID's attribute-mapping expression language (Microsoft's "Reference for writing expressions for
attribute mappings"): `parse(text)` checks it once, `expr.evaluate(attributes)` runs it per object.

    expr = parse('Join(" ", [givenName], [surname])')
    expr.attributes            # frozenset({'givenName', 'surname'}): for Graph's $select
    expr.evaluate({"givenName": "Ada", "surname": "Lovelace"})   # Evaluation('Ada Lovelace', 'normal')
"""

from provisioning.mapping.expressions.errors import ExpressionError, ExpressionSyntaxError
from provisioning.mapping.expressions.expression import (
    FLOW_IGNORED,
    FLOW_NORMAL,
    Evaluation,
    Expression,
    parse,
)

__all__ = [
    "FLOW_IGNORED",
    "FLOW_NORMAL",
    "Evaluation",
    "Expression",
    "ExpressionError",
    "ExpressionSyntaxError",
    "parse",
]
