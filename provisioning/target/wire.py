"""The SCIM wire under ScimClient: one request paced and retried, reads by id, paging, exact finds.

The caller owns the httpx.AsyncClient (base URL, auth), so this module never sees a credential.
What to send, and what a peer's refusal means, is ScimClient's (scim.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx

from provisioning.errors import NotFoundError, TargetError, UnauthorizedError
from provisioning.target import payload
from provisioning.target.dialect import ScimDialect
from provisioning.target.patch_forms import same_name
from provisioning.target.responses import Resource, error_for, item_path, json_body, resource_body
from provisioning.target.throttle import Throttle

log = logging.getLogger("provisioning.target.scim")

_ACCEPT = "application/scim+json, application/json"
_KEPT_URLS = 256  # paths whose absolute URL is kept (a collection, a group PATCHed page after page)


class ScimWire:
    """HTTP for one SCIM peer: every request through the throttle, every answer mapped to an error."""

    http: httpx.AsyncClient
    dialect: ScimDialect
    throttle: Throttle
    max_list_pages: int
    _urls: dict[str, httpx.URL]
    _urls_base: httpx.URL | None = None

    def _url(self, path: str) -> httpx.URL:
        """`path` on the client's base URL, merged as httpx merges it (BaseClient._merge_url), kept per
        path: an absolute URL is taken as it is, where a relative one is parsed and merged again on
        every request (a tenth of a GoTo request's CPU)."""
        base = self.http.base_url
        if self._urls_base is not base or len(self._urls) >= _KEPT_URLS:
            self._urls = {}
            self._urls_base = base
        url = self._urls.get(path)
        if url is None:
            url = httpx.URL(path)
            if url.is_relative_url:
                url = base.copy_with(raw_path=base.raw_path + url.raw_path.lstrip(b"/"))
            self._urls[path] = url
        return url

    async def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        response = await self.throttle.request_json(
            self.http,
            method,
            self._url(path),
            what=what,
            accept=_ACCEPT,
            content_type=self.dialect.content_type,
            params=params,
            body=body,
        )
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

    async def _get_one(self, kind: str, resource_id: str) -> Resource | None:
        what = f"get {kind[:-1].lower()} {resource_id}"
        try:
            response = await self._request("GET", item_path(kind, resource_id), what=what)
        except NotFoundError:
            return None
        return resource_body(response, what=what)

    async def _must_get(self, kind: str, resource_id: str) -> Resource:
        """The resource as the peer holds it now; gone raises NotFoundError (the engine relinks)."""
        found = await self._get_one(kind, resource_id)
        if found is None:
            raise NotFoundError(f"get {kind[:-1].lower()} {resource_id}: GoTo answered HTTP 404", status=404)
        return found

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
            return payload.parse_list(json_body(response, what=what), dialect=self.dialect)
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
