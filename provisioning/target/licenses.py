"""GoTo's Admin API for licenses: list the account's licenses, and make a user's licenses a given set.

Requests go to absolute URLs under the Admin base (GOTO_ADMIN_BASE_URL), so the caller may hand over
the SCIM httpx.AsyncClient: the same GoTo auth, and this module never sees a credential. GoTo's
limit is per API, so the Admin API is paced and retried by a Throttle of its own.

How a license reaches an existing user is unsure (goto.md): `GOTO_LICENSE_ASSIGNMENT=user` sends
one `PUT /accounts/{a}/users/{userKey}` with the whole `licenseKeys` set (one public client does
this); `license` POSTs the user to each added license's `/licenses/{key}/users` and DELETEs them
from each removed one (the path goto.md names).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import httpx

from provisioning.errors import LicenseSeatsError, NotFoundError, TargetError, UnauthorizedError
from provisioning.target.responses import error_for, json_body
from provisioning.target.scim import ScimClient
from provisioning.target.throttle import CallStats, RetryPolicy, Throttle

log = logging.getLogger(__name__)

LicenseAssignment = Literal["user", "license"]
ADMIN_SCOPE = "identity:"
GETGO_SCHEMA = "urn:scim:schemas:extension:getgo:1.0"
ADMIN_SCOPE_HINT = (
    f"The Admin API (licenses) needs the OAuth scope `{ADMIN_SCOPE}` besides `identity:scim.org`: add it "
    f'to GOTO_OAUTH_SCOPE (e.g. "identity:scim.org {ADMIN_SCOPE}") and re-authorize GoTo.'
)
NO_SEATS_CODE = "NO_SEATS_AVAILABLE"
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class License:
    """One license of the account, as `GET /accounts/{a}/licenses` describes it."""

    key: str
    products: tuple[str, ...]
    seats: int | None
    users: int
    enabled: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "products": list(self.products),
            "seats": self.seats,
            "users": self.users,
            "enabled": self.enabled,
        }


def parse_license(item: Mapping[str, Any]) -> License:
    """A `results` entry; `userCount` falls back to the length of `userKeys`."""
    key = item.get("key")
    if key in (None, ""):
        raise ValueError("a license without a key")
    users = item.get("userCount")
    if not isinstance(users, int) or isinstance(users, bool):
        keys = item.get("userKeys")
        users = len(keys) if isinstance(keys, list) else 0
    seats = item.get("seats")
    products = item.get("products") or ()
    return License(
        key=str(key),
        products=tuple(str(p) for p in products) if isinstance(products, list) else (str(products),),
        seats=seats if isinstance(seats, int) and not isinstance(seats, bool) else None,
        users=users,
        enabled=item.get("enabled") is not False,
    )


class GoToLicenses:
    """One per run; safe to share between concurrent tasks."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        scim: ScimClient,
        assignment: LicenseAssignment = "user",
        throttle: Throttle | None = None,
        page_size: int = PAGE_SIZE,
        max_pages: int = 1000,
    ) -> None:
        if assignment not in ("user", "license"):
            raise ValueError(f"assignment must be 'user' or 'license', not {assignment!r}")
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.scim = scim
        self.assignment = assignment
        self.throttle = throttle or Throttle()
        self.page_size = page_size
        self.max_pages = max_pages
        self._account_key: str | None = None
        self._account_lock = asyncio.Lock()

    @property
    def calls(self) -> CallStats:
        return self.throttle.stats

    # -- reads -----------------------------------------------------------------------------------

    async def get_account_key(self) -> str:
        """From SCIM `/Users/me` (`urn:scim:schemas:extension:getgo:1.0` `accounts[0].value`), else
        the Admin API's `/me` `accountKey`; read once per client."""
        if self._account_key is not None:
            return self._account_key
        async with self._account_lock:
            if self._account_key is None:
                self._account_key = await self._read_account_key()
        return self._account_key

    async def _read_account_key(self) -> str:
        me = await self.scim.get_me()
        extension = me.get(GETGO_SCHEMA)
        accounts = extension.get("accounts") if isinstance(extension, Mapping) else None
        if isinstance(accounts, list) and accounts and isinstance(accounts[0], Mapping):
            value = accounts[0].get("value")
            if value not in (None, ""):
                return str(value)
        log.info("SCIM /Users/me carries no %s accounts[0].value; asking the Admin API's /me", GETGO_SCHEMA)
        answer = json_body(await self._request("GET", "me", what="read the account key"), what="read /me")
        value = answer.get("accountKey") if isinstance(answer, Mapping) else None
        if value in (None, ""):
            raise TargetError(
                f"read the account key: neither SCIM /Users/me ({GETGO_SCHEMA} accounts[0].value) nor the "
                "Admin API's /me (accountKey) names it"
            )
        return str(value)

    async def list_licenses(self) -> list[License]:
        """Every license of the account, page by page (offset + pageSize) until `total` or a short page."""
        account = await self._account_path()
        found: list[License] = []
        offset = 0
        for _ in range(self.max_pages):
            params = {"offset": offset, "pageSize": self.page_size}
            what = "list licenses"
            body = json_body(
                await self._request("GET", f"{account}/licenses", what=what, params=params), what=what
            )
            results = body.get("results") if isinstance(body, Mapping) else body
            if not isinstance(results, list) or not all(isinstance(r, Mapping) for r in results):
                raise TargetError(f"{what}: the answer holds no `results` list")
            try:
                found += [parse_license(r) for r in results]
            except ValueError as exc:
                raise TargetError(f"{what}: {exc}") from exc
            offset += len(results)
            total = body.get("total") if isinstance(body, Mapping) else None
            if not results or len(results) < self.page_size or (isinstance(total, int) and offset >= total):
                return found
        log.warning("list licenses: stopped after %d pages", self.max_pages)
        return found

    async def user_licenses(self, user_key: str) -> list[str]:
        """The keys of the licenses the user holds now (`GET /accounts/{a}/users/{userKey}`)."""
        what = f"read the licenses of user {user_key}"
        path = f"{await self._account_path()}/users/{_segment(user_key)}"
        body = json_body(await self._request("GET", path, what=what), what=what)
        keys = body.get("licenseKeys") if isinstance(body, Mapping) else None
        if keys is None:
            return []
        if not isinstance(keys, list):
            raise TargetError(f"{what}: licenseKeys is not a list")
        return sorted(str(k) for k in keys)

    async def find_user_key(self, email: str) -> str | None:
        """The Admin API user key of the user with this e-mail (`filter=email eq "…"`, spaces sent
        as %20: goto.md says `+` is not read as a space), compared without case; None if none."""
        if not email or '"' in email:
            raise ValueError(f"not an e-mail address to filter on: {email!r}")
        query = "filter=" + quote(f'email eq "{email}"', safe="")
        what = f"find the Admin API user {email}"
        path = f"{await self._account_path()}/users?{query}"
        body = json_body(await self._request("GET", path, what=what), what=what)
        results = body.get("results") if isinstance(body, Mapping) else body
        if not isinstance(results, list):
            raise TargetError(f"{what}: the answer holds no `results` list")
        for item in results:
            if isinstance(item, Mapping) and str(item.get("email", "")).casefold() == email.casefold():
                key = item.get("key")
                return str(key) if key not in (None, "") else None
        return None

    # -- writes ----------------------------------------------------------------------------------

    async def set_user_licenses(
        self, user_key: str, *, want: Collection[str], have: Collection[str] | None
    ) -> list[str]:
        """Make the user's licenses `want`; `have` is what they hold (None: unknown, read first).
        Returns the keys the user holds after. Nothing is sent when they already match. Added
        licenses go before removed ones (form `license`), so a full license never leaves the user
        with neither the old nor the new one."""
        wanted = sorted(set(want))
        held = sorted(set(have)) if have is not None else await self.user_licenses(user_key)
        if wanted == held:
            return wanted
        account = await self._account_path()
        segment = _segment(user_key)
        if self.assignment == "user":
            what = f"set the licenses of user {user_key} to {wanted}"
            await self._write(
                "PUT", f"{account}/users/{segment}", what, {"licenseKeys": wanted}, user_key, wanted
            )
            return wanted
        for key in (k for k in wanted if k not in held):
            what = f"assign license {key} to user {user_key}"
            path = f"{account}/licenses/{_segment(key)}/users"
            await self._write("POST", path, what, {"userKeys": [user_key]}, user_key, [key])
        for key in (k for k in held if k not in wanted):
            what = f"remove license {key} from user {user_key}"
            try:
                await self._write(
                    "DELETE",
                    f"{account}/licenses/{_segment(key)}/users/{segment}",
                    what,
                    None,
                    user_key,
                    [key],
                )
            except NotFoundError:
                log.info("%s: GoTo answered 404; the user does not hold it (any more)", what)
        return wanted

    # -- wire ------------------------------------------------------------------------------------

    async def _account_path(self) -> str:
        return f"accounts/{_segment(await self.get_account_key())}"

    async def _write(
        self,
        method: str,
        path: str,
        what: str,
        body: Mapping[str, Any] | None,
        user_key: str,
        keys: Sequence[str],
    ) -> None:
        try:
            await self._request(method, path, what=what, body=body)
        except TargetError as exc:
            seats = _seats_error(exc, user_key, keys)
            if seats is not None:
                raise seats from exc
            raise

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
            f"{self.base_url}/{path}",
            what=what,
            accept="application/json",
            content_type="application/json",
            params=params,
            body=body,
        )
        if response.is_success:
            return response
        error = error_for(response, what=f"{what} (GoTo Admin API)")
        if response.status_code == 403:
            raise UnauthorizedError(
                f"{error} ({ADMIN_SCOPE_HINT})", status=403, scim_type=error.scim_type, detail=error.detail
            ) from None
        error.scim_type = error.scim_type or _error_code(response)
        raise error


def _segment(value: str) -> str:
    if not value:
        raise ValueError("a key must not be empty")
    return quote(str(value), safe="")


def _error_code(response: httpx.Response) -> str | None:
    """The Admin API's `errorCode` (e.g. NO_SEATS_AVAILABLE), when its body has one."""
    try:
        data = response.json()
    except ValueError:
        return None
    code = data.get("errorCode") if isinstance(data, Mapping) else None
    return str(code) if code else None


def _seats_error(exc: TargetError, user_key: str, keys: Sequence[str]) -> LicenseSeatsError | None:
    """A 409 saying no seat is free, as LicenseSeatsError naming the license and the user."""
    detail = exc.detail or ""
    if exc.status != 409 or not (exc.scim_type == NO_SEATS_CODE or "seat" in detail.lower()):
        return None
    named = [k for k in keys if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", detail)] or list(keys)
    which = ", ".join(named)
    message = f"license {which} has no free seat for user {user_key}: GoTo answered HTTP 409"
    if detail:
        message += f": {detail}"
    return LicenseSeatsError(message, status=409, scim_type=exc.scim_type, detail=detail or None)


def open_licenses(
    http: httpx.AsyncClient,
    *,
    base_url: str,
    scim: ScimClient,
    assignment: LicenseAssignment,
    rate_per_second: float,
    retry: RetryPolicy | None = None,
) -> GoToLicenses:
    """The service's factory: cheap, no I/O until a method is called."""
    throttle = Throttle(rate_per_second=rate_per_second, retry=retry)
    return GoToLicenses(http, base_url=base_url, scim=scim, assignment=assignment, throttle=throttle)
