"""KeyVaultTokenStore: the refresh token as an Azure Key Vault secret; each write is a new version.

How a concurrent rotation is detected. Key Vault has no conditional write (Set Secret takes no
If-Match), so compare-and-set is emulated with the secret's versions:
1. read the current version and refuse (TokenStoreConflict) if it is not the one the caller read;
2. write the new value (a new version, tagged with the version it replaces);
3. read the current version again and report a conflict if it is not ours, i.e. another writer's
   version landed after ours. Nothing is lost in that case: both tokens came from successful
   refreshes, so both are valid, and the newest one is what every instance reads next.
Between 1 and 2 two writers can both pass the check, but only if GoTo granted two refreshes of
one refresh token; when GoTo rotates, it refuses the second (invalid_grant), so the loser never
writes and instead re-reads the store (see provider.py). Needs the "Key Vault Secrets Officer"
role (get and set secrets) for the app's identity.
"""

from __future__ import annotations

from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.keyvault.secrets.aio import SecretClient

from provisioning.goto_auth.errors import TokenStoreConflict, TokenStoreError
from provisioning.goto_auth.store import StoredToken

CONTENT_TYPE = "GoTo OAuth refresh token"
PREVIOUS_VERSION_TAG = "previous-version"


class KeyVaultTokenStore:
    """Owns `client` (and `credential` when given) and closes them in `close()`."""

    def __init__(
        self,
        client: SecretClient,
        *,
        secret_name: str,
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        self._client = client
        self._secret_name = secret_name
        self._credential = credential

    @classmethod
    def from_vault_url(
        cls,
        vault_url: str,
        *,
        credential: AsyncTokenCredential,
        secret_name: str,
        owns_credential: bool = True,
        **client_options: Any,
    ) -> KeyVaultTokenStore:
        """`client_options` go to SecretClient (e.g. a sandbox's `connection_verify`)."""
        client = SecretClient(vault_url, credential, **client_options)
        return cls(client, secret_name=secret_name, credential=credential if owns_credential else None)

    @property
    def description(self) -> str:
        return f"Key Vault secret {self._secret_name!r} in {self._client.vault_url}"

    async def get(self) -> StoredToken | None:
        try:
            secret = await self._client.get_secret(self._secret_name)
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            raise self._error("read", exc) from None
        if not secret.value or secret.properties.version is None:
            return None
        return StoredToken(secret.value, secret.properties.version)

    async def put(self, value: str) -> str:
        current = await self.get()
        return await self._set(value, replaces=current.version if current else None)

    async def compare_and_set(self, value: str, *, expected_version: str | None) -> str:
        current = await self.get()
        current_version = current.version if current else None
        if current_version != expected_version:
            raise TokenStoreConflict(
                f"the GoTo refresh token in {self.description} changed since it was read "
                f"(version {expected_version} expected, {current_version} found)"
            )
        written = await self._set(value, replaces=expected_version)
        latest = await self.get()
        if latest is None or latest.version != written:
            raise TokenStoreConflict(
                f"another writer stored a newer GoTo refresh token in {self.description} "
                f"right after version {written}; the newest one stays current"
            )
        return written

    async def close(self) -> None:
        await self._client.close()
        if self._credential is not None:
            await self._credential.close()

    async def _set(self, value: str, *, replaces: str | None) -> str:
        if not value:
            raise ValueError("a refresh token must not be empty")
        try:
            secret = await self._client.set_secret(
                self._secret_name,
                value,
                content_type=CONTENT_TYPE,
                tags={PREVIOUS_VERSION_TAG: replaces or ""},
            )
        except AzureError as exc:
            raise self._error("write", exc) from None
        assert secret.properties.version is not None  # Key Vault always answers the new version
        return secret.properties.version

    def _error(self, action: str, exc: AzureError) -> TokenStoreError:
        """A message that says what to fix; azure-core's messages carry no secret values."""
        status = exc.status_code if isinstance(exc, HttpResponseError) else None
        reason = f"HTTP {status}" if status else type(exc).__name__
        hint = ""
        if status in (401, 403):
            hint = "; give the app's identity the 'Key Vault Secrets Officer' role on the vault"
        message = (exc.message or "").splitlines()[0] if exc.message else ""
        return TokenStoreError(
            f"cannot {action} the {self.description} ({reason}: {message}){hint}", status=status
        )
