"""A local Azure Key Vault (secrets only): set, get and list versions over HTTPS, challenge auth.

No Key Vault emulator exists; this one is just enough for the GoTo refresh-token store and is driven
by the real azure-keyvault-secrets SecretClient. Modelled: versioned secrets (every set makes a new
current version; no conditional writes, as in Azure), case-insensitive names, the 401 bearer
challenge, Key Vault's error JSON. Not modelled: deletion and recovery, paging of versions,
expiry/not-before, RBAC (`app.fail_next(403)` stands in for a missing role).
"""

from sandbox.keyvault.constants import SANDBOX_TENANT_ID, SANDBOX_VAULT_TOKEN, VAULT_RESOURCE
from sandbox.keyvault.credential import SandboxVaultCredential
from sandbox.keyvault.simulator import KeyVaultSimulator

__all__ = [
    "SANDBOX_TENANT_ID",
    "SANDBOX_VAULT_TOKEN",
    "VAULT_RESOURCE",
    "KeyVaultSimulator",
    "SandboxVaultCredential",
]
