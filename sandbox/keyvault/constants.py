"""Fixed sandbox identities of the Key Vault simulator."""

from __future__ import annotations

# The only bearer token the simulator accepts (sandbox convenience: no Entra ID in the loop).
SANDBOX_VAULT_TOKEN = "sandbox-keyvault-token"
SANDBOX_TENANT_ID = "00000000-0000-0000-0000-00000000cafe"
# The resource Key Vault names in its challenge; the SDK asks the credential for `<resource>/.default`.
VAULT_RESOURCE = "https://vault.azure.net"
