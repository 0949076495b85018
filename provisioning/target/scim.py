"""ScimClient: SCIM 2.0 users and groups over an injected httpx.AsyncClient, paced and retried.

The caller owns the AsyncClient: its base_url is the SCIM base (e.g. https://api.getgo.com/identity/v1)
and its auth (a static bearer header today, an httpx.Auth refreshing OAuth tokens later) is set
there, so this module never sees a credential. Bodies come from `payload`; quirks from the dialect.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from provisioning.errors import NotFoundError, TargetError
from provisioning.target import payload
from provisioning.target.dialect import ScimDialect
from provisioning.target.responses import error_for
from provisioning.target.throttle import CallStats, Throttle

log = logging.getLogger(__name__)

_ACCEPT = "application/scim+json, application/json"
Resource = dict[str, Any]


class ScimClient:
    """One per run; safe to share between concurrent tasks (one bucket, one set of counters)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        dialect: ScimDialect | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.http = http
        self.dialect = dialect or ScimDialect.goto()
        self.throttle = throttle or Throttle()

    @property
    def calls(self) -> CallStats:
        return self.throttle.stats

    # -- users -----------------------------------------------------------------------------------

    async def get_user(self, user_id: str) -> Resource | None:
        """None when GoTo has no such user (404)."""
        return await self._get_one("Users", user_id)

    async def find_user(self, *, user_name: str) -> Resource | None:
        """The user whose userName equals `user_name` (an exact-case match preferred), else None."""
        return await self._find("Users", "userName", user_name)

    def list_users(
        self, *, filter: str | None = None, page_size: int = 100
    ) -> AsyncGenerator[Resource, None]:
        return self._list("Users", filter=filter, page_size=page_size)

    async def create_user(self, resource: Mapping[str, Any]) -> Resource:
        """409 (the userName or e-mail is taken) raises ConflictError: find and adopt the account."""
        return await self._create("Users", resource)

    async def replace_user(self, user_id: str, resource: Mapping[str, Any]) -> Resource:
        return await self._replace("Users", user_id, resource)

    async def update_user(self, user_id: str, patch_body: Mapping[str, Any]) -> Resource | None:
        """The patched user when the peer answers with it (dialect.patch_returns_body), else None."""
        return await self._patch("Users", user_id, patch_body)

    async def delete_user(self, user_id: str) -> bool:
        """True if it existed; an already deleted user (404) is success, not an error."""
        return await self._delete("Users", user_id)

    async def get_me(self) -> Resource:
        """The authenticated admin (GoTo: /Users/me, which carries the account key)."""
        response = await self._request("GET", self.dialect.me_path, what="get the signed-in user")
        return _resource(response, what="get the signed-in user")

    # -- groups ----------------------------------------------------------------------------------

    async def get_group(self, group_id: str) -> Resource | None:
        return await self._get_one("Groups", group_id)

    async def find_group(self, *, display_name: str) -> Resource | None:
        return await self._find("Groups", "displayName", display_name)

    def list_groups(
        self, *, filter: str | None = None, page_size: int = 100
    ) -> AsyncGenerator[Resource, None]:
        return self._list("Groups", filter=filter, page_size=page_size)

    async def create_group(self, resource: Mapping[str, Any]) -> Resource:
        """409 (the displayName is taken) raises ConflictError."""
        return await self._create("Groups", resource)

    async def replace_group(self, group_id: str, resource: Mapping[str, Any]) -> Resource:
        return await self._replace("Groups", group_id, resource)

    async def update_group(self, group_id: str, patch_body: Mapping[str, Any]) -> Resource | None:
        return await self._patch("Groups", group_id, patch_body)

    async def delete_group(self, group_id: str) -> bool:
        return await self._delete("Groups", group_id)

    async def add_members(self, group_id: str, member_ids: Iterable[str]) -> None:
        """In PATCHes of at most dialect.members_per_request ids; GoTo caps a group at 100 members."""
        for body in payload.build_add_members(member_ids, dialect=self.dialect):
            await self._patch("Groups", group_id, body)

    async def remove_members(self, group_id: str, member_ids: Iterable[str]) -> None:
        for body in payload.build_remove_members(member_ids, dialect=self.dialect):
            await self._patch("Groups", group_id, body)

    # -- shared ----------------------------------------------------------------------------------

    async def _get_one(self, kind: str, resource_id: str) -> Resource | None:
        what = f"get {kind[:-1].lower()} {resource_id}"
        try:
            response = await self._request("GET", _item(kind, resource_id), what=what)
        except NotFoundError:
            return None
        return _resource(response, what=what)

    async def _find(self, kind: str, attribute: str, value: str) -> Resource | None:
        """One page is enough: `eq` on a unique attribute matches one resource (two if case differs)."""
        query = payload.eq_filter(attribute, value, dialect=self.dialect)
        page = await self._page(kind, filter=query, start=1, count=10, what=f"find {kind[:-1].lower()}")
        exact = [r for r in page.resources if payload.get_value(r, attribute) == value]
        matches = exact or page.resources
        return matches[0] if matches else None

    async def _page(
        self, kind: str, *, filter: str | None, start: int, count: int, what: str
    ) -> payload.ListPage:
        params: dict[str, str | int] = {"startIndex": start, "count": count}
        if filter is not None:
            params["filter"] = filter
        response = await self._request("GET", kind, what=what, params=params)
        try:
            return payload.parse_list(_json(response, what=what), dialect=self.dialect)
        except ValueError as exc:
            raise TargetError(
                f"{what}: unreadable list response: {exc}", status=response.status_code
            ) from exc

    async def _list(self, kind: str, *, filter: str | None, page_size: int) -> AsyncGenerator[Resource, None]:
        """startIndex/count paging, advancing by what came back, until totalResults or an empty page."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        count = min(page_size, self.dialect.max_page_size or page_size)
        start = 1
        while True:
            page = await self._page(
                kind, filter=filter, start=start, count=count, what=f"list {kind.lower()}"
            )
            for resource in page.resources:
                yield resource
            start += len(page.resources)
            # without totalResults a short page may only be the peer's cap: stop at an empty page
            if not page.resources or (page.total_results is not None and start > page.total_results):
                return

    async def _create(self, kind: str, resource: Mapping[str, Any]) -> Resource:
        what = f"create {kind[:-1].lower()}"
        response = await self._request("POST", kind, what=what, body=resource)
        return _resource(response, what=what)

    async def _replace(self, kind: str, resource_id: str, resource: Mapping[str, Any]) -> Resource:
        what = f"replace {kind[:-1].lower()} {resource_id}"
        response = await self._request("PUT", _item(kind, resource_id), what=what, body=resource)
        return _resource(response, what=what)

    async def _patch(self, kind: str, resource_id: str, body: Mapping[str, Any]) -> Resource | None:
        """A PatchOp without operations is not sent: nothing changed, nothing to tell GoTo."""
        if not payload.patch_operations(body):
            return None
        what = f"update {kind[:-1].lower()} {resource_id}"
        response = await self._request("PATCH", _item(kind, resource_id), what=what, body=body)
        if not self.dialect.patch_returns_body or response.status_code == 204 or not response.content:
            return None
        try:  # the change is made; an answer we cannot read must not turn it into a failure
            return _resource(response, what=what)
        except TargetError:
            log.info(
                "%s: HTTP %d without a readable resource; treating it as done", what, response.status_code
            )
            return None

    async def _delete(self, kind: str, resource_id: str) -> bool:
        what = f"delete {kind[:-1].lower()} {resource_id}"
        try:
            await self._request("DELETE", _item(kind, resource_id), what=what)
        except NotFoundError:
            return False
        return True

    async def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        headers = {"Accept": _ACCEPT}
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = self.dialect.content_type
            content = json.dumps(body).encode()

        async def attempt() -> httpx.Response:
            response = await self.http.request(method, path, params=params, headers=headers, content=content)
            log.debug("%s %s -> %d", method, response.request.url.path, response.status_code)
            return response

        response = await self.throttle.send(attempt, what=what)
        if response.is_success:
            return response
        raise error_for(response, what=what)


def _item(kind: str, resource_id: str) -> str:
    if not resource_id:
        raise ValueError(f"a {kind[:-1]} id must not be empty")
    return f"{kind}/{quote(resource_id, safe='')}"


def _json(response: httpx.Response, *, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise TargetError(
            f"{what}: GoTo answered HTTP {response.status_code} with a body that is not JSON",
            status=response.status_code,
        ) from exc


def _resource(response: httpx.Response, *, what: str) -> Resource:
    data = _json(response, what=what)
    if not isinstance(data, dict) or not data.get("id"):
        raise TargetError(
            f"{what}: GoTo answered HTTP {response.status_code} without a resource",
            status=response.status_code,
        )
    return data
