"""An async token credential that always answers the sandbox vault token (no Entra ID in the loop)."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from azure.core.credentials import AccessToken

from sandbox.keyvault.constants import SANDBOX_VAULT_TOKEN


class SandboxVaultCredential:
    """Satisfies azure.core's AsyncTokenCredential protocol; records the scopes it was asked for."""

    def __init__(self, token: str = SANDBOX_VAULT_TOKEN) -> None:
        self._token = token
        self.scopes: list[str] = []

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        self.scopes.extend(scopes)
        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> SandboxVaultCredential:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        return None
