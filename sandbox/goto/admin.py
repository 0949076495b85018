"""GoTo's Admin API under /admin/rest/v1, reduced to what license provisioning meets.

`/me`, the account's licenses (paged by offset + pageSize), a user's licenses, both forms of
assigning one (PUT the user's `licenseKeys`, or POST/DELETE a license's users) and creating users
with licenses. Errors are `{"errorCode", "message"}` JSON (the shape is assumed; see DIALECT.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.goto.constants import SANDBOX_ACCOUNT_KEY, SANDBOX_ACCOUNT_NAME, SANDBOX_ADMIN_USERNAME
from sandbox.goto.errors import ScimError
from sandbox.goto.licenses import AdminError, LicenseStore
from sandbox.goto.store import Store

ADMIN_BASE_PATH = "/admin/rest/v1"
_B = ADMIN_BASE_PATH
_A = f"{_B}/accounts/<account_key>"
RULES = [
    Rule(f"{_B}/me", methods=["GET"], endpoint="admin.me"),
    Rule(f"{_A}/licenses", methods=["GET"], endpoint="admin.licenses"),
    Rule(f"{_A}/licenses/<license_key>/users", methods=["POST"], endpoint="admin.license_users"),
    Rule(f"{_A}/licenses/<license_key>/users/<user_key>", methods=["DELETE"], endpoint="admin.license_user"),
    Rule(f"{_A}/users", methods=["GET", "POST"], endpoint="admin.users"),
    Rule(f"{_A}/users/<user_key>", methods=["GET", "PUT"], endpoint="admin.user"),
]
ADMIN_SCOPE = "identity:"
DEFAULT_PAGE_SIZE = 50
_EMAIL_FILTER = re.compile(r'\s*email\s+eq\s+"([^"]+)"\s*', re.IGNORECASE)
MAX_PAGE_SIZE = 100  # assumed; goto.md gives no cap


def admin_json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def admin_error_response(exc: ScimError) -> Response:
    """Any failure below an Admin route, in the Admin API's own error shape."""
    code = exc.code if isinstance(exc, AdminError) else _CODES.get(exc.status, "ERROR")
    response = admin_json({"errorCode": code, "message": exc.detail}, exc.status)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


_CODES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT"}


def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.get_data() or b"null")
    except ValueError as exc:
        raise AdminError(400, "INVALID_REQUEST", f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise AdminError(400, "INVALID_REQUEST", "the body must be a JSON object")
    return data


def _keys(data: Mapping[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if not isinstance(value, list) or not all(isinstance(k, str | int) for k in value):
        raise AdminError(400, "INVALID_REQUEST", f"{name} must be a list of keys")
    return [str(k) for k in value]


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise AdminError(400, "INVALID_REQUEST", f"{name} must be an integer, not {raw!r}") from exc


class AdminRoutes:
    """One method per endpoint; the caller has already checked the token and its `identity:` scope."""

    def __init__(self, store: Store, licenses: LicenseStore) -> None:
        self.store = store
        self._licenses = licenses

    def dispatch(self, endpoint: str, request: Request, values: Mapping[str, Any]) -> Response:
        values = dict(values)
        account = values.pop("account_key", None)
        if account is not None and account != SANDBOX_ACCOUNT_KEY:
            raise AdminError(403, "FORBIDDEN", f"no access to account {account}")
        handler: Callable[..., Response] = getattr(self, endpoint.removeprefix("admin."))
        return handler(request, **values)

    def me(self, request: Request) -> Response:
        admin = self.store.get_admin()
        return admin_json(
            {
                "key": admin["id"],
                "accountKey": SANDBOX_ACCOUNT_KEY,
                "accountName": SANDBOX_ACCOUNT_NAME,
                "email": SANDBOX_ADMIN_USERNAME,
            }
        )

    def licenses(self, request: Request) -> Response:
        offset = max(0, _int_arg(request, "offset", 0))
        size = min(MAX_PAGE_SIZE, max(1, _int_arg(request, "pageSize", DEFAULT_PAGE_SIZE)))
        every = self._licenses.licenses()
        page = every[offset : offset + size]
        body = {
            "results": page,
            "fromIndex": offset,
            "toIndex": offset + len(page) - 1 if page else offset,
            "total": len(every),
        }
        return admin_json(body)

    def user(self, request: Request, user_key: str) -> Response:
        if request.method == "PUT":
            self._user(user_key)
            self._licenses.set_user_licenses(user_key, _keys(_body(request), "licenseKeys"))
        return admin_json(self._render(user_key))

    def license_users(self, request: Request, license_key: str) -> Response:
        user_keys = _keys(_body(request), "userKeys")
        license = self._licenses.assign(license_key, user_keys)
        return admin_json({"key": license_key, "userKeys": license["userKeys"]})

    def license_user(self, request: Request, license_key: str, user_key: str) -> Response:
        self._licenses.unassign(license_key, user_key)
        return Response(status=204)

    def users(self, request: Request) -> Response:
        if request.method == "GET":
            return self._find_users(request)
        return self._create_users(request)

    def _find_users(self, request: Request) -> Response:
        """`?filter=email eq "x"`, the only filter modelled; spaces must come as %20: a `+` in the raw
        query is refused, as goto.md says GoTo does."""
        raw = request.query_string.decode("latin-1")
        raw_filter = next((part[7:] for part in raw.split("&") if part.startswith("filter=")), None)
        if raw_filter is None:
            page = [self._render(u["id"]) for u in self.store.users()]
        else:
            if "+" in raw_filter:
                raise AdminError(400, "INVALID_REQUEST", "malformed filter: send spaces as %20, not +")
            match = _EMAIL_FILTER.fullmatch(request.args.get("filter", ""))
            if match is None:
                raise AdminError(400, "INVALID_REQUEST", 'only filter=email eq "<address>" is supported')
            found = self.store.find_user(match.group(1))
            page = [self._render(found["id"])] if found is not None else []
        return admin_json(
            {"results": page, "fromIndex": 0, "toIndex": max(0, len(page) - 1), "total": len(page)}
        )

    def _create_users(self, request: Request) -> Response:
        """Create users with licenses; an e-mail conflict is 409 unless `allOrNothing=false`, which
        answers 200 with the conflicting entry lacking `key` (goto.md)."""
        data = _body(request)
        entries = data.get("users")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise AdminError(400, "INVALID_REQUEST", "users must be a non-empty list of objects")
        license_keys = _keys(data, "licenseKeys") if "licenseKeys" in data else []
        if not license_keys and not data.get("adminRoles"):
            raise AdminError(400, "INVALID_REQUEST", "a new user needs a license key or an admin role")
        all_or_nothing = str(request.args.get("allOrNothing", "true")).lower() != "false"
        fresh = [e for e in entries if self.store.find_user(str(e.get("email", ""))) is None]
        if all_or_nothing and len(fresh) != len(entries):
            taken = next(e for e in entries if e not in fresh)
            raise AdminError(409, "CONFLICT", f"e-mail {taken.get('email')!r} is already in use")
        self._licenses.check_seats(license_keys, len(fresh))
        answer = []
        for entry in entries:
            shown = {k: entry.get(k) for k in ("email", "firstName", "lastName")}
            if entry not in fresh:
                answer.append(shown)
                continue
            created = self._create(entry)
            for key in license_keys:
                self._licenses.assign(key, [created["id"]])
            answer.append({"key": created["id"], **shown})
        return admin_json(answer, 201 if all_or_nothing else 200)

    # -- internals -------------------------------------------------------------------------------

    def _create(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        email = entry.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise AdminError(400, "INVALID_REQUEST", "each user needs an email")
        given, family = str(entry.get("firstName") or ""), str(entry.get("lastName") or "")
        return self.store.create_user(
            {
                "userName": email,
                "name": {"givenName": given, "familyName": family},
                "displayName": f"{given} {family}".strip() or email,
                "emails": [{"value": email, "type": "work", "primary": True}],
                "active": True,
            }
        )

    def _user(self, user_key: str) -> dict[str, Any]:
        try:
            return self.store.get_user(user_key)
        except ScimError as exc:
            raise AdminError(404, "NOT_FOUND", f"user {user_key} not found") from exc

    def _render(self, user_key: str) -> dict[str, Any]:
        user = self._user(user_key)
        name = user.get("name") or {}
        return {
            "key": user["id"],
            "email": user["userName"],
            "firstName": name.get("givenName"),
            "lastName": name.get("familyName"),
            "licenseKeys": self._licenses.user_licenses(user_key),
        }
