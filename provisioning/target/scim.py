"""ScimClient: SCIM 2.0 users and groups over an injected httpx.AsyncClient, paced and retried.

The caller owns the AsyncClient: its base_url is the SCIM base (e.g. https://api.getgo.com/identity/v1)
and its auth (a static bearer header today, an httpx.Auth refreshing OAuth tokens later) is set
there, so this module never sees a credential. Bodies come from `payload`; quirks from the dialect.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from provisioning.errors import BadRequestError, NotFoundError, TargetError, TransientError, UnauthorizedError
from provisioning.target import payload
from provisioning.target.capabilities import Capabilities, FilteredPaths, MemberRemoval
from provisioning.target.dialect import ScimDialect
from provisioning.target.responses import error_for
from provisioning.target.throttle import CallStats, Throttle

log = logging.getLogger(__name__)

_ACCEPT = "application/scim+json, application/json"
Resource = dict[str, Any]
# GoTo documents the plural; RFC 7644 §4 the singular. Both are tried, the dialect's first.
_CONFIG_PATHS = ("ServiceProviderConfigs", "ServiceProviderConfig")
# 400s a PatchOp may get for its filtered paths (RFC 7644 §3.5.2 and §3.12).
_PATH_REFUSALS = frozenset({"noTarget", "invalidPath"})
# 400s that say "this is not how I spell a request", as opposed to "your data is wrong".
_FORM_REFUSALS = frozenset({"invalidSyntax", "invalidValue"})
_OP_WORD = re.compile(r"\bops?\b|\bPatchOp\b|'(?:Add|Replace|Remove)'", re.IGNORECASE)
_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def same_name(a: Any, b: Any) -> bool:
    """userName/displayName equality as caseExact=false reads it: ASCII letters fold, nothing else does."""
    return isinstance(a, str) and isinstance(b, str) and a.translate(_ASCII_FOLD) == b.translate(_ASCII_FOLD)


class ScimClient:
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
                config = _json(response, what=what)
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
                    *_FORM_REFUSALS,
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
                rest = [i for b in bodies[index:] for i in _removed_ids(b)]
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

    async def _get_one(self, kind: str, resource_id: str) -> Resource | None:
        what = f"get {kind[:-1].lower()} {resource_id}"
        try:
            response = await self._request("GET", _item(kind, resource_id), what=what)
        except NotFoundError:
            return None
        return _resource(response, what=what)

    async def _must_get(self, kind: str, resource_id: str) -> Resource:
        """The resource as the peer holds it now; gone raises NotFoundError (the engine relinks)."""
        found = await self._get_one(kind, resource_id)
        if found is None:
            raise NotFoundError(f"get {kind[:-1].lower()} {resource_id}: GoTo answered HTTP 404", status=404)
        return found

    async def _put_merged(self, kind: str, resource_id: str, changes: Mapping[str, Any]) -> Resource:
        """For a peer without PATCH (patch.supported=false): GET, write the changes in, PUT it whole."""
        resource = await self._must_get(kind, resource_id)
        merged = payload.apply_values(resource, changes)
        merged.pop("meta", None)
        return await self._replace(kind, resource_id, merged)

    async def _find(self, kind: str, attribute: str, value: str) -> Resource | None:
        """Only a resource whose attribute equals `value` (ASCII case folded) is returned, never merely
        what the peer answered: a peer that ignores or loosens the filter must not hand over another
        person's account. One page: `eq` on a unique attribute matches one resource."""
        query = payload.eq_filter(attribute, value, dialect=self.dialect)
        page = await self._page(kind, filter=query, start=1, count=10, what=f"find {kind[:-1].lower()}")
        exact = [r for r in page.resources if payload.get_value(r, attribute) == value]
        folded = [r for r in page.resources if same_name(payload.get_value(r, attribute), value)]
        matches = exact or folded
        if not matches and page.resources:
            log.warning(
                "find %s: the peer answered %d resource(s) for %s eq ..., none of them an exact match; "
                "none is taken",
                kind[:-1].lower(),
                len(page.resources),
                attribute,
            )
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
        start, pages = 1, 0
        seen: set[str] = set()
        while True:
            if pages >= self.max_list_pages:
                log.warning("list %s: stopped after %d pages (max_list_pages)", kind.lower(), pages)
                return
            page = await self._page(
                kind, filter=filter, start=start, count=count, what=f"list {kind.lower()}"
            )
            pages += 1
            fresh = [r for r in page.resources if str(r.get("id")) not in seen]
            if page.resources and not fresh:  # a peer that ignores startIndex answers page 1 again
                log.warning("list %s: the peer repeated a page (startIndex ignored?); stopping", kind.lower())
                return
            for resource in fresh:
                seen.add(str(resource.get("id")))
                yield resource
            start += len(page.resources)
            # without totalResults a short page may only be the peer's cap: stop at an empty page
            if not page.resources or (page.total_results is not None and start > page.total_results):
                return

    async def _create(self, kind: str, resource: Mapping[str, Any]) -> Resource:
        what = f"create {kind[:-1].lower()}"
        await self._ensure_discovered()
        response = await self._request("POST", kind, what=what, body=resource)
        return _resource(response, what=what)

    async def _replace(self, kind: str, resource_id: str, resource: Mapping[str, Any]) -> Resource:
        what = f"replace {kind[:-1].lower()} {resource_id}"
        await self._ensure_discovered()
        response = await self._request("PUT", _item(kind, resource_id), what=what, body=resource)
        return _resource(response, what=what)

    async def _patch(self, kind: str, resource_id: str, body: Mapping[str, Any]) -> Resource | None:
        """A PatchOp without operations is not sent: nothing changed, nothing to tell GoTo."""
        if not payload.patch_operations(body):
            return None
        what = f"update {kind[:-1].lower()} {resource_id}"
        await self._ensure_discovered()
        try:
            response = await self._request("PATCH", _item(kind, resource_id), what=what, body=body)
        except BadRequestError as exc:
            lowered = _lower_ops(body)
            if self.capabilities.patch_op_case is not None or lowered is None or not _refuses_op_case(exc):
                raise
            try:  # Entra's "Replace" refused? RFC 7644 spells ops lower-case
                response = await self._request("PATCH", _item(kind, resource_id), what=what, body=lowered)
            except BadRequestError:
                raise exc from None
            log.info("%s: the peer refused title-case PatchOp ops; sending lower-case from now on", what)
            self.capabilities.patch_op_case = "lower"
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
        """A 2xx of any kind is done (GoTo's 2018 description answers 200 with a body; RFC 7644 204)."""
        what = f"delete {kind[:-1].lower()} {resource_id}"
        await self._ensure_discovered()
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
        error = error_for(response, what=what)
        if response.status_code == 401 and path.startswith("Groups/") and await self._token_works():
            # GoTo answers 401 "not sufficiently authorized" for a group that does not exist
            raise NotFoundError(
                f"{what}: GoTo answered HTTP 401 for the group while the token works: read as not found",
                status=404,
                detail=error.detail,
            ) from error
        raise error

    async def _token_works(self) -> bool:
        """Whether the credentials pass on a resource that always exists (the signed-in user)."""
        try:
            await self._request("GET", self.dialect.me_path, what="check the token")
        except UnauthorizedError:
            return False
        except TargetError:
            return True  # answered, just not with that resource: the token itself passed
        return True


def _refuses_op_case(exc: BadRequestError) -> bool:
    """A 400 that may be about the spelling of `op` (not about the data): worth one lower-case try."""
    if exc.scim_type not in (None, *_FORM_REFUSALS):
        return False
    return exc.detail is None or exc.scim_type == "invalidSyntax" or bool(_OP_WORD.search(exc.detail))


def _lower_ops(body: Mapping[str, Any]) -> dict[str, Any] | None:
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


def _removed_ids(body: Mapping[str, Any]) -> list[str]:
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
