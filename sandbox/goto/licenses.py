"""The account's licenses (key, products, seats, enabled, the users holding each) for the Admin API.

Users are the SCIM store's: an Admin API user key is the SCIM `id` (goto.md). A write that would take
more seats than a license has changes nothing and raises `NoSeats` (the routes answer 409), so a
request either applies whole or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.goto.errors import ScimError


class AdminError(ScimError):
    """An Admin API failure: the routes answer `{"errorCode", "message"}` with `status`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, message)
        self.code = code


class NoSeats(AdminError):
    def __init__(self, key: str, used: int, seats: int) -> None:
        message = f"license {key} has no free seat ({used} of {seats} used)"
        super().__init__(409, "NO_SEATS_AVAILABLE", message)
        self.key = key


@dataclass
class License:
    key: str
    products: tuple[str, ...]
    seats: int
    enabled: bool = True
    name: str = ""
    user_keys: list[str] = field(default_factory=list)  # in the order they were assigned

    def as_dict(self) -> dict[str, Any]:
        """The shape goto.md gives for `GET /accounts/{a}/licenses` results."""
        return {
            "key": self.key,
            "name": self.name or self.key,
            "products": list(self.products),
            "seats": self.seats,
            "userCount": len(self.user_keys),
            "enabled": self.enabled,
            "userKeys": list(self.user_keys),
        }


class LicenseStore:
    """Thread-safe; `user_exists` is the SCIM store's check, so a license only ever holds real users."""

    def __init__(self, user_exists: Callable[[str], bool]) -> None:
        self._lock = threading.Lock()
        self._user_exists = user_exists
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._licenses: dict[str, License] = {}

    # -- seeding (in-process and /_sandbox/licenses) -----------------------------------------------

    def add_license(
        self,
        key: str,
        *,
        products: Iterable[str] = ("G2M",),
        seats: int = 10,
        enabled: bool = True,
        name: str = "",
    ) -> dict[str, Any]:
        """Adds or replaces a license (keeping who holds it when replaced)."""
        if not key or not isinstance(key, str):
            raise ValueError("a license key must be a non-empty string")
        if isinstance(seats, bool) or not isinstance(seats, int) or seats < 0:
            raise ValueError(f"seats must be a whole number >= 0, not {seats!r}")
        with self._lock:
            held = self._licenses[key].user_keys if key in self._licenses else []
            self._licenses[key] = License(key, tuple(products), seats, bool(enabled), name, list(held))
            return self._licenses[key].as_dict()

    # -- reads -----------------------------------------------------------------------------------

    def licenses(self) -> list[dict[str, Any]]:
        with self._lock:
            return [lic.as_dict() for lic in self._licenses.values()]

    def get(self, key: str) -> dict[str, Any]:
        with self._lock:
            return self._license(key).as_dict()

    def user_licenses(self, user_key: str) -> list[str]:
        """The keys of the licenses the user holds, in the order the licenses were added."""
        with self._lock:
            return [lic.key for lic in self._licenses.values() if user_key in lic.user_keys]

    # -- writes ----------------------------------------------------------------------------------

    def set_user_licenses(self, user_key: str, keys: Collection[str]) -> list[str]:
        """Replace the user's licenses with `keys` (the PUT form)."""
        with self._lock:
            self._check_user(user_key)
            wanted = list(dict.fromkeys(keys))
            for key in wanted:
                self._license(key)
            for key in wanted:
                self._check_seats(self._licenses[key], 0 if user_key in self._licenses[key].user_keys else 1)
            for lic in self._licenses.values():
                if lic.key in wanted and user_key not in lic.user_keys:
                    lic.user_keys.append(user_key)
                elif lic.key not in wanted and user_key in lic.user_keys:
                    lic.user_keys.remove(user_key)
            return [lic.key for lic in self._licenses.values() if user_key in lic.user_keys]

    def assign(self, key: str, user_keys: Collection[str]) -> dict[str, Any]:
        """Add users to a license (the POST form); users already holding it are left as they are."""
        with self._lock:
            lic = self._license(key)
            for user_key in user_keys:
                self._check_user(user_key)
            new = [u for u in dict.fromkeys(user_keys) if u not in lic.user_keys]
            self._check_seats(lic, len(new))
            lic.user_keys.extend(new)
            return lic.as_dict()

    def unassign(self, key: str, user_key: str) -> None:
        """Take a license from a user (the DELETE form); 404 when the user does not hold it."""
        with self._lock:
            lic = self._license(key)
            if user_key not in lic.user_keys:
                raise AdminError(404, "NOT_FOUND", f"user {user_key} does not hold license {key}")
            lic.user_keys.remove(user_key)

    def check_seats(self, keys: Collection[str], needed: int) -> None:
        """Raise before creating users when any of `keys` lacks `needed` free seats (or is unknown)."""
        with self._lock:
            for key in keys:
                self._check_seats(self._license(key), needed)

    def forget_user(self, user_key: str) -> None:
        """A deleted user frees their seats."""
        with self._lock:
            for lic in self._licenses.values():
                if user_key in lic.user_keys:
                    lic.user_keys.remove(user_key)

    # -- internals -------------------------------------------------------------------------------

    def _license(self, key: str) -> License:
        lic = self._licenses.get(key)
        if lic is None:
            raise AdminError(404, "NOT_FOUND", f"license {key} not found")
        return lic

    def _check_user(self, user_key: str) -> None:
        if not self._user_exists(user_key):
            raise AdminError(404, "NOT_FOUND", f"user {user_key} not found")

    @staticmethod
    def _check_seats(lic: License, needed: int) -> None:
        if needed > 0 and len(lic.user_keys) + needed > lic.seats:
            raise NoSeats(lic.key, len(lic.user_keys), lic.seats)
