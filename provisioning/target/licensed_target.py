"""A UserTarget whose users also carry GoTo licenses: SCIM for the account, the Admin API for licenses.

When licenses are configured the engine plans a pseudo-path `"licenses"` (a sorted list of license
keys) beside the SCIM paths. This wrapper sends everything else to the inner (SCIM) target and the
licenses to GoToLicenses, after the account exists (create) or after its SCIM update (update).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioning.engine.apply import TargetUser, UserTarget
from provisioning.target.licenses import GoToLicenses

LICENSES_PATH = "licenses"


class LicensedUserTarget:
    """Implements engine.apply.UserTarget over another UserTarget plus GoToLicenses."""

    def __init__(self, inner: UserTarget, licenses: GoToLicenses) -> None:
        self.inner = inner
        self.licenses = licenses

    async def find_user(self, *, path: str, value: Any) -> TargetUser | None:
        return await self.inner.find_user(path=path, value=value)

    async def create_user(self, values: Mapping[str, Any]) -> TargetUser:
        """The account through SCIM, then its licenses: a license failure (no free seat) fails the
        user after the account exists, so the retry finds it linked and only sets the licenses."""
        scim_values = {k: v for k, v in values.items() if k != LICENSES_PATH}
        created = await self.inner.create_user(scim_values)
        if LICENSES_PATH not in values:
            return created
        held = await self.licenses.set_user_licenses(created.id, want=_keys(values[LICENSES_PATH]), have=())
        return TargetUser(created.id, {**created.values, LICENSES_PATH: held})

    async def update_user(
        self, target_id: str, values: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
    ) -> None:
        scim_values = {k: v for k, v in values.items() if k != LICENSES_PATH}
        if scim_values:
            scim_current = (
                None if current is None else {k: v for k, v in current.items() if k != LICENSES_PATH}
            )
            await self.inner.update_user(target_id, scim_values, current=scim_current)
        if LICENSES_PATH in values:
            have = _keys(current[LICENSES_PATH]) if current is not None and LICENSES_PATH in current else None
            await self.licenses.set_user_licenses(target_id, want=_keys(values[LICENSES_PATH]), have=have)

    async def delete_user(self, target_id: str) -> bool:
        return await self.inner.delete_user(target_id)


def _keys(value: Any) -> list[str]:
    """The pseudo-path's value: a list of keys; None (never written) means none."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return sorted(str(k) for k in value)
