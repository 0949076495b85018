"""ScimClient: SCIM 2.0 users and groups over an injected httpx.AsyncClient, paced and retried.

The caller owns the AsyncClient: its base_url is the SCIM base (e.g. https://api.getgo.com/identity/v1)
and its auth (a static bearer header today, an httpx.Auth refreshing OAuth tokens later) is set
there, so this module never sees a credential. Bodies come from `payload`; quirks from the dialect.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any

import httpx

from provisioning.errors import BadRequestError, NotFoundError, TargetError, TransientError, UnauthorizedError
from provisioning.target import payload
from provisioning.target.capabilities import Capabilities, FilteredPaths, MemberRemoval
from provisioning.target.dialect import ScimDialect
from provisioning.target.patch_forms import FORM_REFUSALS, lower_ops, refuses_op_case, removed_ids
from provisioning.target.responses import Resource, item_path, json_body, resource_body
from provisioning.target.throttle import CallStats, Throttle
from provisioning.target.wire import ScimWire

log = logging.getLogger(__name__)

# GoTo documents the plural; RFC 7644 §4 the singular. Both are tried, the dialect's first.
_CONFIG_PATHS = ("ServiceProviderConfigs", "ServiceProviderConfig")
# 400s a PatchOp may get for its filtered paths (RFC 7644 §3.5.2 and §3.12).
_PATH_REFUSALS = frozenset({"noTarget", "invalidPath"})


class ScimClient(ScimWire):
    """One per run; safe to share between concurrent tasks (one bucket, one set of counters)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        dialect: ScimDialect | None = None,
        throttle: Throttle | None = None,
        capabilities: Capabilities | None = None,
        max_list_pages: int = 10_000,
    ) -> None:
        if max_list_pages < 1:
            raise ValueError("max_list_pages must be at least 1")
        self.http = http
        self.dialect = dialect or ScimDialect.goto()
        self.throttle = throttle or Throttle()
        # learned during this client's life; `capabilities.to_dict()` lets the engine keep it for the next
        self.capabilities = capabilities or Capabilities()
        self.max_list_pages = max_list_pages
        self._discovery = asyncio.Lock()

    # -- capabilities ----------------------------------------------------------------------------

    async def discover(self) -> Capabilities:
        """Read ServiceProviderConfig (both spellings) now; a peer without it is assumed to take PATCH.

        Bad credentials raise UnauthorizedError and throttling that outlasts the retries raises
        TransientError, so the test-connection check can report them.
        """
        order = _CONFIG_PATHS if self.dialect.me_path == "Users/me" else _CONFIG_PATHS[::-1]
        for path in order:
            what = f"read {path}"
            try:
                response = await self._request("GET", path, what=what)
                config = json_body(response, what=what)
            except (UnauthorizedError, TransientError):
                raise
            except TargetError as exc:  # 404, or a gateway's 400/405/501, or no JSON: not this spelling
                log.debug("%s: %s", what, exc)
                continue
            patch = config.get("patch") if isinstance(config, dict) else None
            supported = patch.get("supported") if isinstance(patch, dict) else None
            self.capabilities.patch = supported is not False and str(supported).lower() != "false"
            self.capabilities.config_path = path
            break
        self.capabilities.discovered = True
        return self.capabilities

    async def _ensure_discovered(self) -> None:
        if self.capabilities.discovered:
            return
        async with self._discovery:
            if not self.capabilities.discovered:
                await self.discover()

    def write_dialect(self) -> ScimDialect:
        """The dialect with what the peer was found to need laid over it."""
        learned: dict[str, Any] = {}
        if self.capabilities.patch_op_case is not None:
            learned["patch_op_case"] = self.capabilities.patch_op_case
        if self.capabilities.member_removal is not None:
            learned["member_removal"] = self.capabilities.member_removal
        return dataclasses.replace(self.dialect, **learned) if learned else self.dialect

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

    async def update_user_values(
        self, user_id: str, changes: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
    ) -> Resource | None:
        """Write changed values (by path) in the form this peer takes; `current` = known values by path.

        PATCH when the peer takes it (else GET, merge, PUT). A filtered path is written from the
        account's known state; refused (noTarget/invalidPath), it is retried once as the whole
        attribute merged from a fresh read, and the refusal is remembered in `capabilities`.
        """
        if not changes:
            return None
        await self._ensure_discovered()
        if not self.capabilities.patch:
            return await self._put_merged("Users", user_id, changes)
        dialect = self.write_dialect()
        filtered = payload.has_filtered(changes)
        mode = self.capabilities.filtered_paths
        if filtered and mode == "never":
            resource = await self._must_get("Users", user_id)
            return await self._patch(
                "Users", user_id, payload.build_whole_attribute_patch(resource, changes, dialect=dialect)
            )
        if filtered and current is None and mode == "existing":
            resource = await self._must_get("Users", user_id)
            current = {path: payload.get_value(resource, path) for path in changes}
        body = payload.build_patch(changes, dialect=dialect, current=current)
        try:
            return await self._patch("Users", user_id, body)
        except BadRequestError as exc:
            if not filtered or exc.scim_type not in _PATH_REFUSALS:
                raise
            learned: FilteredPaths = "never" if exc.scim_type == "invalidPath" else "existing"
            log.info(
                "update user %s: the peer refused a filtered path (%s); replacing the whole attribute",
                user_id,
                exc.scim_type,
            )
            self.capabilities.filtered_paths = learned
            resource = await self._must_get("Users", user_id)
            return await self._patch(
                "Users", user_id, payload.build_whole_attribute_patch(resource, changes, dialect=dialect)
            )

    async def delete_user(self, user_id: str) -> bool:
        """True if it existed; an already deleted user (404) is success, not an error."""
        return await self._delete("Users", user_id)

    async def count_users(self) -> int | None:
        """GoTo's totalResults for /Users (one request); None when the peer does not say."""
        page = await self._page("Users", filter=None, start=1, count=1, what="count users")
        return page.total_results

    async def get_me(self) -> Resource:
        """The authenticated admin (GoTo: /Users/me, which carries the account key)."""
        response = await self._request("GET", self.dialect.me_path, what="get the signed-in user")
        return resource_body(response, what="get the signed-in user")

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

    async def update_group_values(self, group_id: str, changes: Mapping[str, Any]) -> None:
        """Write changed attributes (displayName, externalId: plain paths) in the form this peer takes:
        a PatchOp replace (None removes), or GET, merge, PUT of the whole group for a peer without
        PATCH, its members included as read. A gone group raises NotFoundError."""
        if not changes:
            return
        await self._ensure_discovered()
        if not self.capabilities.patch:
            await self._put_merged("Groups", group_id, changes)
            return
        await self._patch("Groups", group_id, payload.build_patch(changes, dialect=self.write_dialect()))

    async def delete_group(self, group_id: str) -> bool:
        return await self._delete("Groups", group_id)

    async def add_members(self, group_id: str, member_ids: Iterable[str]) -> None:
        """In PATCHes of at most dialect.members_per_request ids; GoTo caps a group at 100 members."""
        ids = list(member_ids)
        await self._ensure_discovered()
        if not self.capabilities.patch:
            await self._put_members(group_id, add=ids)
            return
        for body in payload.build_add_members(ids, dialect=self.write_dialect()):
            await self._patch("Groups", group_id, body)

    async def remove_members(self, group_id: str, member_ids: Iterable[str]) -> None:
        """The dialect's removal form; refused with a 400, the other form once, remembered if it works."""
        ids = list(member_ids)
        await self._ensure_discovered()
        if not self.capabilities.patch:
            await self._put_members(group_id, remove=ids)
            return
        dialect = self.write_dialect()
        bodies = payload.build_remove_members(ids, dialect=dialect)
        for index, body in enumerate(bodies):
            try:
                await self._patch("Groups", group_id, body)
            except BadRequestError as exc:
                if self.capabilities.member_removal is not None or exc.scim_type not in (
                    None,
                    *FORM_REFUSALS,
                ):
                    raise
                other: MemberRemoval = (
                    "path_filter" if dialect.member_removal == "value_list" else "value_list"
                )
                log.info(
                    "remove members: the peer refused the %s form (%s); trying %s",
                    dialect.member_removal,
                    exc.scim_type,
                    other,
                )
                retry = dataclasses.replace(dialect, member_removal=other)
                rest = [i for b in bodies[index:] for i in removed_ids(b)]
                for again in payload.build_remove_members(rest, dialect=retry):
                    await self._patch("Groups", group_id, again)
                self.capabilities.member_removal = other
                return

    async def _put_members(
        self, group_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        """For a peer without PATCH: read the group, change its member list, PUT it back."""
        group = await self._must_get("Groups", group_id)
        gone = set(remove)
        kept = [i for i in payload.member_ids(group) if i not in gone]
        kept += [i for i in dict.fromkeys(add) if i not in kept and i not in gone]
        body = {k: v for k, v in group.items() if k != "meta"}
        body["members"] = [{"value": i} for i in kept]
        await self._replace("Groups", group_id, body)

    # -- shared ----------------------------------------------------------------------------------

    async def _put_merged(self, kind: str, resource_id: str, changes: Mapping[str, Any]) -> Resource:
        """For a peer without PATCH (patch.supported=false): GET, write the changes in, PUT it whole."""
        resource = await self._must_get(kind, resource_id)
        merged = payload.apply_values(resource, changes)
        merged.pop("meta", None)
        return await self._replace(kind, resource_id, merged)

    async def _create(self, kind: str, resource: Mapping[str, Any]) -> Resource:
        what = f"create {kind[:-1].lower()}"
        await self._ensure_discovered()
        response = await self._request("POST", kind, what=what, body=resource)
        return resource_body(response, what=what)

    async def _replace(self, kind: str, resource_id: str, resource: Mapping[str, Any]) -> Resource:
        what = f"replace {kind[:-1].lower()} {resource_id}"
        await self._ensure_discovered()
        response = await self._request("PUT", item_path(kind, resource_id), what=what, body=resource)
        return resource_body(response, what=what)

    async def _patch(self, kind: str, resource_id: str, body: Mapping[str, Any]) -> Resource | None:
        """A PatchOp without operations is not sent: nothing changed, nothing to tell GoTo."""
        if not payload.patch_operations(body):
            return None
        what = f"update {kind[:-1].lower()} {resource_id}"
        await self._ensure_discovered()
        try:
            response = await self._request("PATCH", item_path(kind, resource_id), what=what, body=body)
        except BadRequestError as exc:
            lowered = lower_ops(body)
            if self.capabilities.patch_op_case is not None or lowered is None or not refuses_op_case(exc):
                raise
            try:  # Entra's "Replace" refused? RFC 7644 spells ops lower-case
                response = await self._request("PATCH", item_path(kind, resource_id), what=what, body=lowered)
            except BadRequestError:
                raise exc from None
            log.info("%s: the peer refused title-case PatchOp ops; sending lower-case from now on", what)
            self.capabilities.patch_op_case = "lower"
        if not self.dialect.patch_returns_body or response.status_code == 204 or not response.content:
            return None
        try:  # the change is made; an answer we cannot read must not turn it into a failure
            return resource_body(response, what=what)
        except TargetError:
            log.info(
                "%s: HTTP %d without a readable resource; treating it as done", what, response.status_code
            )
            return None

    async def _delete(self, kind: str, resource_id: str) -> bool:
        """A 2xx of any kind is done (GoTo's 2018 description answers 200 with a body; RFC 7644 204)."""
        what = f"delete {kind[:-1].lower()} {resource_id}"
        await self._ensure_discovered()
        try:
            await self._request("DELETE", item_path(kind, resource_id), what=what)
        except NotFoundError:
            return False
        return True
