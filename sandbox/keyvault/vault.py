"""The vault's state: secrets with immutable versions, newest last, as Key Vault keeps them.

Key Vault has no conditional write: every Set Secret makes a new version and that version is the
current one. The simulator does exactly that and nothing cleverer, so a client's concurrency
scheme is tested against the real guarantees (or lack of them).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SECRET_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")


@dataclass(frozen=True)
class SecretVersion:
    name: str
    version: str
    value: str = field(repr=False)
    created: int
    content_type: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    enabled: bool = True

    def properties(self, vault_url: str) -> dict[str, Any]:
        """A SecretItem: everything but the value (what version listings return)."""
        item: dict[str, Any] = {
            "id": f"{vault_url}/secrets/{self.name}/{self.version}",
            "attributes": {
                "enabled": self.enabled,
                "created": self.created,
                "updated": self.created,
                "recoveryLevel": "Recoverable+Purgeable",
                "recoverableDays": 90,
            },
            "tags": dict(self.tags),
        }
        if self.content_type is not None:
            item["contentType"] = self.content_type
        return item

    def bundle(self, vault_url: str) -> dict[str, Any]:
        """A SecretBundle: the properties plus the value (what get and set return)."""
        return {"value": self.value, **self.properties(vault_url)}


class Vault:
    """Thread-safe; `clock` gives Unix seconds (Key Vault's timestamps are whole seconds)."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._secrets: dict[str, list[SecretVersion]] = {}

    def set(
        self,
        name: str,
        value: str,
        *,
        content_type: str | None = None,
        tags: Mapping[str, str] | None = None,
        enabled: bool = True,
    ) -> SecretVersion:
        if not SECRET_NAME.match(name):
            raise ValueError(f"secret name {name!r} must be 1-127 letters, digits or dashes")
        version = SecretVersion(
            name=name,
            version=uuid.uuid4().hex,
            value=value,
            created=int(self._clock()),
            content_type=content_type,
            tags=dict(tags or {}),
            enabled=enabled,
        )
        with self._lock:
            self._secrets.setdefault(name.lower(), []).append(version)
        return version

    def get(self, name: str, version: str | None = None) -> SecretVersion | None:
        """The current (newest) version, or the named one; names are case-insensitive as in Azure."""
        with self._lock:
            versions = self._secrets.get(name.lower(), [])
            if not version:
                return versions[-1] if versions else None
            return next((v for v in versions if v.version == version.lower()), None)

    def versions(self, name: str) -> list[SecretVersion]:
        with self._lock:
            return list(self._secrets.get(name.lower(), []))

    def names(self) -> list[str]:
        with self._lock:
            return [versions[-1].name for versions in self._secrets.values()]

    def reset(self) -> None:
        with self._lock:
            self._secrets.clear()
