"""The engine's view of GoTo users (path -> value dicts) over the SCIM client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import aclosing
from typing import Any

from provisioning.engine.apply import TargetUser
from provisioning.target.patch_forms import same_name
from provisioning.target.payload import build_user, eq_filter, get_value, parse_user
from provisioning.target.scim import Resource, ScimClient


class ScimUserTarget:
    """Implements engine.apply.UserTarget; `paths` are the mapped SCIM paths the engine compares."""

    def __init__(self, client: ScimClient, *, paths: Sequence[str]) -> None:
        self.client = client
        self.paths = list(dict.fromkeys([*paths, "active"]))

    def _view(self, resource: Resource) -> TargetUser:
        return TargetUser(str(resource["id"]), parse_user(resource, paths=self.paths))

    async def find_user(self, *, path: str, value: Any) -> TargetUser | None:
        """The account whose `path` is exactly `value`, by an `eq` filter. GoTo filters users only on
        userName, displayName, name.givenName and name.familyName: any other path is sent all the
        same, and its 400 invalidFilter (BadRequestError) fails that user as MatchingLookupRefused."""
        if path == "userName":
            found = await self.client.find_user(user_name=str(value))
        else:
            query = eq_filter(path, value, dialect=self.client.dialect)
            found = None
            async with aclosing(self.client.list_users(filter=query, page_size=10)) as pages:
                async for resource in pages:  # only an exact match: a loose peer must not hand over another
                    if _matches(path, get_value(resource, path), value):
                        found = resource
                        break
        return self._view(found) if found is not None else None

    async def create_user(self, values: Mapping[str, Any]) -> TargetUser:
        return self._view(await self.client.create_user(build_user(values)))

    async def update_user(
        self, target_id: str, values: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
    ) -> None:
        """`current`: what the account holds now by path (read, or last written), so a missing
        multi-valued entry is added and an existing one replaced, as strict peers require."""
        await self.client.update_user_values(target_id, values, current=current)

    async def delete_user(self, target_id: str) -> bool:
        return await self.client.delete_user(target_id)


def _matches(path: str, actual: Any, wanted: Any) -> bool:
    """externalId is caseExact (RFC 7643); other string matching attributes fold ASCII case."""
    return actual == wanted or (path.lower() != "externalid" and same_name(actual, wanted))
