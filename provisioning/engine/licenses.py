"""App roles -> GoTo license keys: the mapping file's `licenses` section, applied to a user's roles.

A user holds the union of the licenses of every real role they have, directly or through assigned
groups (Default Access gives none: it is not provisioned). Keys may be named by the role's value
(as the admin sees it in Entra) or by its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from provisioning.model import ServicePrincipal


@dataclass(frozen=True, slots=True)
class LicenseMap:
    by_role: Mapping[str, tuple[str, ...]]
    role_values: Mapping[str, str | None] = field(default_factory=dict)  # app role id -> value

    def __bool__(self) -> bool:
        return bool(self.by_role)

    def with_roles(self, principal: ServicePrincipal) -> LicenseMap:
        """The app's roles as this cycle read them (a renamed role value follows)."""
        return LicenseMap(self.by_role, {r.id: r.value for r in principal.app_roles})

    def keys_for(self, role_ids: Iterable[str]) -> tuple[str, ...]:
        keys: set[str] = set()
        for role_id in role_ids:
            for name in (self.role_values.get(role_id), role_id):
                if name is not None:
                    keys.update(self.by_role.get(name, ()))
        return tuple(sorted(keys))
