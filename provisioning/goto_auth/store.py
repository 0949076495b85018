"""Where the GoTo refresh token lives between runs: a small protocol with optimistic concurrency.

Every stored token has a `version`. A writer that rotates the token says which version it read
(`compare_and_set`); if the store moved on meanwhile, another instance rotated the token first and
the writer gets TokenStoreConflict instead of overwriting a newer token with an older one. A new
consent (`put`) replaces whatever is stored. Implementations: KeyVaultTokenStore (Azure) and
FileTokenStore (loopback sandboxes only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class StoredToken:
    """A refresh token and the store's version of it; the value never appears in repr()."""

    value: str = field(repr=False)
    version: str


class TokenStore(Protocol):
    @property
    def description(self) -> str:
        """Where the token is kept, for messages and summaries (never the token itself)."""
        ...

    async def get(self) -> StoredToken | None:
        """The current refresh token, or None when none was stored yet."""
        ...

    async def put(self, value: str) -> str:
        """Store `value` unconditionally (a fresh consent); return its version."""
        ...

    async def compare_and_set(self, value: str, *, expected_version: str | None) -> str:
        """Store `value` only if the current version is still `expected_version` (None: nothing
        stored); return the new version, or raise TokenStoreConflict."""
        ...

    async def close(self) -> None: ...
