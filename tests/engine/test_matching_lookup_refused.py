"""A matching attribute GoTo cannot filter users by (it filters on userName, displayName,
name.givenName and name.familyName) is still sent as an `eq` filter; GoTo's 400 invalidFilter is a
failure of that user naming the attribute (MatchingLookupRefused), and the other users go on.
On the wire: ScimUserTarget and the SCIM client against the GoTo simulator on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import httpx

from provisioning.engine.apply import apply_operations
from provisioning.engine.plan import Action, Operation
from provisioning.mapping.attributes import WORK_EMAIL, AttributeMapping, UserMapping
from provisioning.model import AuditStatus
from provisioning.target import ScimClient, ScimDialect
from provisioning.target.user_target import ScimUserTarget
from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.target.conftest import fast_throttle

BY_MAIL_FIRST = UserMapping(
    attributes=(
        AttributeMapping(WORK_EMAIL, "mail", matching_precedence=1),  # not filterable at GoTo
        AttributeMapping("userName", "userPrincipalName", matching_precedence=2),
        AttributeMapping("displayName", "displayName"),
    )
)


def create(source_id: str, user_name: str) -> Operation:
    desired: dict[str, Any] = {"userName": user_name, WORK_EMAIL: user_name, "displayName": source_id}
    desired["active"] = True
    return Operation(Action.CREATE, source_id, "assigned", None, source_id, desired, (), desired)


async def test_a_lookup_goto_refuses_fails_that_user_only(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1000)
    existing = goto_sim.store.create_user({"userName": "pat@contoso.com", "displayName": "Pat (old)"})
    headers = {"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}"}
    async with httpx.AsyncClient(base_url=goto_sim.scim_base_url, headers=headers, timeout=10) as http:
        client = ScimClient(http, dialect=ScimDialect.goto(), throttle=fast_throttle())
        target = ScimUserTarget(client, paths=[row.target for row in BY_MAIL_FIRST.attributes])
        ops = [create("u-pat", "pat@contoso.com"), create("u-ann", "ann@contoso.com")]

        pat, ann = await apply_operations(ops, target, BY_MAIL_FIRST, concurrency=2)

    assert ann.status is AuditStatus.SUCCESS and ann.action == "create"
    assert pat.status is AuditStatus.FAILURE and pat.error_code == "MatchingLookupRefused"
    assert pat.error_reason is not None and pat.error_reason.startswith(
        f"GoTo refused to look users up by the matching attribute {WORK_EMAIL} (invalidFilter"
    )
    assert pat.recommended_action is not None and f"GoTo cannot filter users by {WORK_EMAIL}" in (
        pat.recommended_action
    )
    assert SANDBOX_GOTO_TOKEN not in pat.error_reason + pat.recommended_action
    after = goto_sim.store.get_user(existing["id"])
    assert after["displayName"] == "Pat (old)"  # nothing was written to the account
