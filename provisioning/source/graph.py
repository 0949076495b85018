"""The product's reader of Entra: assignments, users and groups delta, group members, single users.

Requests go through the msgraph-sdk pipeline (request builders, auth, RetryHandler, ODataError
mapping) but answers are read as raw JSON: the SDK's models cost about 6 ms of CPU per user, which a
20,000-user tenant cannot afford. Every failure leaves as a SourceError (DeltaExpiredError when the
engine must resync, SourceNotFoundError for a missing object), with a message naming what was read
and never a link or a token.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

import httpx
import orjson
from azure.core.exceptions import AzureError
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure._exceptions import KiotaAuthenticationError
from msgraph import GraphServiceClient
from msgraph.generated.groups.delta.delta_request_builder import (
    DeltaRequestBuilder as GroupsDeltaRequestBuilder,
)
from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
from msgraph.generated.groups.item.members.members_request_builder import MembersRequestBuilder
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.service_principals.item.app_role_assigned_to import (
    app_role_assigned_to_request_builder as assigned_to,
)
from msgraph.generated.users.delta.delta_request_builder import (
    DeltaRequestBuilder as UsersDeltaRequestBuilder,
)
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

from provisioning.errors import DeltaExpiredError, SourceError, SourceNotFoundError
from provisioning.model import (
    AppRole,
    Assignment,
    DeltaPage,
    GroupChange,
    MemberChange,
    RemovedReason,
    ServicePrincipal,
    UserChange,
)

PAGE_SIZE = 999  # Graph's maximum $top for appRoleAssignedTo and members
# Paging guards: a Graph that loops (a nextLink already followed) or never ends must not make a
# cycle run forever or fill memory. A collection read whole (assignments, a group's members) stops
# past MAX_COLLECTION_ITEMS rows; any paged read stops past MAX_PAGES pages (Graph pages hold 100
# to 999 objects, so both are far above any real tenant).
MAX_COLLECTION_ITEMS = 1_000_000
MAX_PAGES = 100_000
EXPIRED_CODES = frozenset({"syncstatenotfound", "resyncrequired"})
_ERROR_MAP: dict[str, Any] = {"XXX": ODataError}
_URL = re.compile(r"https?://\S+")
_TYPE_PREFIX = "#microsoft.graph."
T = TypeVar("T")


class GraphSource:
    """Reads one tenant through an injected GraphServiceClient (see `graph_client.create_graph_client`)."""

    def __init__(
        self,
        client: GraphServiceClient,
        *,
        max_items: int | None = None,
        max_pages: int | None = None,
    ) -> None:
        """`max_items` / `max_pages`: the paging bounds, MAX_COLLECTION_ITEMS / MAX_PAGES unless given."""
        self._client = client
        self._adapter: Any = client.request_adapter  # the SDK types send_primitive_async as returning None
        self._max_items = MAX_COLLECTION_ITEMS if max_items is None else max_items
        self._max_pages = MAX_PAGES if max_pages is None else max_pages

    # ------------------------------------------------------------------ the app and its scope

    async def get_service_principal(self, sp_id: str) -> ServicePrincipal:
        what = f"service principal {sp_id}"
        body = await self._get(
            self._client.service_principals.by_service_principal_id(sp_id).to_get_request_information(), what
        )
        roles = body.get("appRoles") or []
        if not isinstance(roles, list):
            raise SourceError(f"reading {what} failed: appRoles is not a list")
        return ServicePrincipal(
            id=_str(body, "id", what),
            display_name=body.get("displayName"),
            app_roles=tuple(
                AppRole(
                    id=_str(role, "id", what),
                    value=role.get("value"),
                    display_name=role.get("displayName"),
                    is_enabled=bool(role.get("isEnabled", True)),
                )
                for role in roles
            ),
        )

    async def list_assignments(self, sp_id: str) -> list[Assignment]:
        """Every appRoleAssignedTo row; fewer than 999 assignments cost one request."""
        what = "app role assignments"
        builder = self._client.service_principals.by_service_principal_id(sp_id).app_role_assigned_to
        query = assigned_to.AppRoleAssignedToRequestBuilder.AppRoleAssignedToRequestBuilderGetQueryParameters(
            top=PAGE_SIZE
        )
        first = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
        rows = await self._collect(
            first, lambda link: builder.with_url(link).to_get_request_information(), what
        )
        return [
            Assignment(
                id=_str(row, "id", what),
                principal_id=_str(row, "principalId", what),
                principal_type=_str(row, "principalType", what),
                app_role_id=_str(row, "appRoleId", what),
                principal_display_name=row.get("principalDisplayName"),
            )
            for row in rows
        ]

    async def list_group_members(self, group_id: str) -> list[MemberChange]:
        """Direct members only: Entra puts a group's direct members in scope, nesting is not expanded."""
        what = f"members of group {group_id}"
        builder = self._client.groups.by_group_id(group_id).members
        query = MembersRequestBuilder.MembersRequestBuilderGetQueryParameters(top=PAGE_SIZE, select=["id"])
        first = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
        rows = await self._collect(
            first, lambda link: builder.with_url(link).to_get_request_information(), what
        )
        return [_member(row, what) for row in rows]

    async def get_user(self, user_id: str, *, select: Sequence[str]) -> dict[str, Any] | None:
        """The user's selected properties, or None when Graph has no such (active) user."""
        query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=list(select))
        request = self._client.users.by_user_id(user_id).to_get_request_information(
            RequestConfiguration(query_parameters=query)
        )
        try:
            body = await self._get(request, f"user {user_id}")
        except SourceNotFoundError:
            return None
        return {k: v for k, v in body.items() if "@" not in k}

    async def get_group(self, group_id: str, *, select: Sequence[str]) -> dict[str, Any] | None:
        """The group's selected properties, or None when Graph has no such group (deleted or never
        was): a group's delta entry may carry only what changed, so the engine reads the rest here.
        `members` (what groups/delta selects) is a navigation property a plain read does not select:
        it is left out, and members are read with `list_group_members`."""
        fields = [name for name in select if name.lower() != "members"] or ["id"]
        query = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(select=fields)
        request = self._client.groups.by_group_id(group_id).to_get_request_information(
            RequestConfiguration(query_parameters=query)
        )
        try:
            body = await self._get(request, f"group {group_id}")
        except SourceNotFoundError:
            return None
        return {k: v for k, v in body.items() if "@" not in k}

    # ------------------------------------------------------------------ delta

    async def iter_users_delta(
        self, *, link: str | None, select: Sequence[str]
    ) -> AsyncIterator[DeltaPage[UserChange]]:
        """One round, page by page. `link=None` starts a full round with `select`; otherwise the
        stored link is followed as given, asking for changed properties only."""
        builder = self._client.users.delta
        if link is None:
            query = UsersDeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=list(select))
            first = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
        else:
            first = builder.with_url(link).to_get_request_information(_minimal())
        follow = _minimal if link is not None else RequestConfiguration
        async for page in self._delta(
            first,
            lambda next_link: builder.with_url(next_link).to_get_request_information(follow()),
            _user,
            "users delta",
            start=link,
        ):
            yield page

    async def iter_groups_delta(
        self,
        *,
        link: str | None,
        select: Sequence[str] = ("displayName", "members"),
        latest: bool = False,
    ) -> AsyncIterator[DeltaPage[GroupChange]]:
        """Like `iter_users_delta`; `latest=True` (first call only) skips the objects and yields a
        single empty page whose deltaLink tracks changes from now on."""
        builder = self._client.groups.delta
        if link is None:
            query = GroupsDeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=list(select))
            first = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
            if latest:
                first.path_parameters["baseurl"] = self._adapter.base_url  # else set only when sending
                url = first.url
                separator = "&" if "?" in url else "?"
                first = builder.with_url(f"{url}{separator}$deltatoken=latest").to_get_request_information()
        elif latest:
            raise ValueError("latest=True starts tracking afresh: it cannot follow a stored link")
        else:
            first = builder.with_url(link).to_get_request_information(_minimal())
        follow = _minimal if link is not None else RequestConfiguration
        async for page in self._delta(
            first,
            lambda next_link: builder.with_url(next_link).to_get_request_information(follow()),
            _group,
            "groups delta",
            start=link,
        ):
            yield page

    # ------------------------------------------------------------------ plumbing

    async def _delta(
        self,
        request: RequestInformation,
        next_request: Callable[[str], RequestInformation],
        parse: Callable[[Any, str], T],
        what: str,
        *,
        start: str | None = None,
    ) -> AsyncIterator[DeltaPage[T]]:
        followed = _Followed(what, self._max_pages, start)
        while True:
            body = await self._get(request, what)
            value = body.get("value")
            next_link = body.get("@odata.nextLink")
            delta_link = body.get("@odata.deltaLink")
            if not isinstance(value, list):
                raise SourceError(f"reading {what} failed: the page has no 'value' list")
            if (next_link is None) == (delta_link is None) or not isinstance(next_link or delta_link, str):
                raise SourceError(
                    f"reading {what} failed: a page needs exactly one of nextLink and deltaLink"
                )
            yield DeltaPage(
                items=[parse(item, what) for item in value], next_link=next_link, delta_link=delta_link
            )
            if next_link is None:
                return
            followed.add(next_link)
            request = next_request(next_link)

    async def _collect(
        self, request: RequestInformation, next_request: Callable[[str], RequestInformation], what: str
    ) -> list[dict[str, Any]]:
        """Every row of a paged collection, following nextLink, up to `max_items` rows."""
        rows: list[dict[str, Any]] = []
        followed = _Followed(what, self._max_pages)
        while True:
            body = await self._get(request, what)
            value = body.get("value")
            if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
                raise SourceError(f"reading {what} failed: the page has no 'value' list of objects")
            if len(rows) + len(value) > self._max_items:
                raise SourceError(
                    f"reading {what} failed: Graph returned more than {self._max_items:,} rows, the "
                    "bound for a collection read whole; stopping rather than filling memory"
                )
            rows.extend(value)
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return rows
            if not isinstance(next_link, str):
                raise SourceError(f"reading {what} failed: nextLink is not a string")
            followed.add(next_link)
            request = next_request(next_link)

    async def _get(self, request: RequestInformation, what: str) -> dict[str, Any]:
        """One request through the SDK pipeline, answered as a JSON object or a SourceError."""
        try:
            body = await self._adapter.send_primitive_async(request, "bytes", _ERROR_MAP)
        except ODataError as exc:
            raise _from_odata(exc, what) from None
        except APIError as exc:
            status = exc.response_status_code
            error_class = (
                SourceNotFoundError if status == 404 else DeltaExpiredError if status == 410 else SourceError
            )
            raise error_class(
                f"reading {what} failed: HTTP {status}: {_clean(str(exc.message or exc))}", status=status
            ) from None
        except httpx.HTTPError as exc:
            raise SourceError(
                f"reading {what} failed: network error: {type(exc).__name__} {_clean(str(exc))}"
            ) from None
        except (AzureError, KiotaAuthenticationError) as exc:
            raise SourceError(
                f"reading {what} failed: no Graph token: {type(exc).__name__} {_clean(str(exc))}"
            ) from None
        if not body:
            raise SourceError(f"reading {what} failed: the answer is empty")
        try:
            parsed = orjson.loads(body)
        except ValueError:
            raise SourceError(f"reading {what} failed: the answer is not JSON") from None
        if not isinstance(parsed, dict):
            raise SourceError(f"reading {what} failed: the answer is not a JSON object")
        return parsed


class _Followed:
    """The links one paged read has followed (as digests: a long round keeps little), so a Graph
    that hands back a link already followed, or pages without end, stops the read with a SourceError."""

    def __init__(self, what: str, max_pages: int, start: str | None = None) -> None:
        self._what = what
        self._max_pages = max_pages
        self._seen: set[bytes] = set()
        if start is not None:
            self._seen.add(_digest(start))

    def add(self, link: str) -> None:
        digest = _digest(link)
        if digest in self._seen:
            raise SourceError(
                f"reading {self._what} failed: Graph returned a nextLink already followed, "
                "so paging would never end; the read stops here"
            )
        if len(self._seen) >= self._max_pages:
            raise SourceError(
                f"reading {self._what} failed: Graph returned more than {self._max_pages:,} pages, "
                "the bound for one read; the read stops here"
            )
        self._seen.add(digest)


def _digest(link: str) -> bytes:
    return hashlib.sha256(link.encode()).digest()


# ---------------------------------------------------------------------- parsing


def _user(raw: Any, what: str) -> UserChange:
    """An entry of users/delta; runs for every user of every full round, hence the fast path: an
    entry without annotations (no key holds "@", asked of all its keys at once) is its attributes."""
    if not isinstance(raw, dict):
        raise SourceError(f"reading {what} failed: an entry is not an object")
    user_id = raw.get("id")
    if not isinstance(user_id, str) or not user_id:
        raise SourceError(f"reading {what} failed: an entry lacks 'id'")
    if "@" in "\0".join(raw):
        return UserChange(user_id, _attributes(raw), _removed(raw))
    attributes = raw.copy()
    del attributes["id"]
    return UserChange(user_id, attributes)


def _group(raw: Any, what: str) -> GroupChange:
    if not isinstance(raw, dict):
        raise SourceError(f"reading {what} failed: an entry is not an object")
    members = raw.get("members@delta") or []
    if not isinstance(members, list):
        raise SourceError(f"reading {what} failed: members@delta is not a list")
    return GroupChange(
        id=_str(raw, "id", what),
        attributes=_attributes(raw),
        members=tuple(_member(m, what) for m in members),
        removed=_removed(raw),
    )


def _member(raw: Any, what: str) -> MemberChange:
    """A member entry; the type comes from @odata.type ("#microsoft.graph.user" -> "user")."""
    if not isinstance(raw, dict):
        raise SourceError(f"reading {what} failed: a member is not an object")
    odata_type = raw.get("@odata.type")
    member_type = _MEMBER_TYPES.get(odata_type) if isinstance(odata_type, str) else "directoryObject"
    if member_type is None:
        member_type = odata_type.removeprefix(_TYPE_PREFIX) if odata_type else "directoryObject"
    member_id = raw.get("id")
    if not isinstance(member_id, str) or not member_id:
        raise SourceError(f"reading {what} failed: an entry lacks 'id'")
    return MemberChange(member_id, member_type, "@removed" in raw)


# a group's members are read one by one, every cycle: the usual types are looked up, not worked out
_MEMBER_TYPES = {f"{_TYPE_PREFIX}{name}": name for name in ("user", "group", "device", "servicePrincipal")}


def _attributes(raw: dict[str, Any]) -> dict[str, Any]:
    """Graph properties only: not `id`, not annotations such as @removed or members@delta."""
    return {k: v for k, v in raw.items() if k != "id" and "@" not in k}


def _removed(raw: dict[str, Any]) -> RemovedReason | None:
    """An unknown reason is read as "changed" (restorable): disabling is the less destructive guess."""
    removed = raw.get("@removed")
    if removed is None:
        return None
    reason = removed.get("reason") if isinstance(removed, dict) else None
    return "deleted" if reason == "deleted" else "changed"


def _str(raw: Any, key: str, what: str) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value:
        raise SourceError(f"reading {what} failed: an entry lacks '{key}'")
    return value


# ---------------------------------------------------------------------- errors and options


def _from_odata(exc: ODataError, what: str) -> SourceError:
    status = exc.response_status_code
    code = exc.error.code if exc.error is not None else None
    message = exc.error.message if exc.error is not None else None
    text = (
        f"reading {what} failed: HTTP {status}"
        + (f" {code}" if code else "")
        + (f": {_clean(message)}" if message else "")
    )
    if status == 410 or (code or "").lower() in EXPIRED_CODES:
        return DeltaExpiredError(text, status=status, code=code)
    if status == 404:
        return SourceNotFoundError(text, status=status, code=code)
    return SourceError(text, status=status, code=code)


def _clean(text: str) -> str:
    """Links carry delta tokens: never let one into a message or a log."""
    return _URL.sub("<url>", text)


def _minimal() -> RequestConfiguration[Any]:
    """Delta-link rounds ask for changed properties only; the engine merges them into what it knows."""
    config: RequestConfiguration[Any] = RequestConfiguration()
    config.headers.add("Prefer", "return=minimal")
    return config
