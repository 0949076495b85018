"""Key Vault: RBAC authorization, soft delete with purge protection (a deleted secret can be
recovered, not destroyed), and secrets only from secure parameters."""

from __future__ import annotations

from tests.infra.bicep import Template


def test_soft_delete_and_purge_protection(templates: dict[str, Template]) -> None:
    (vault,) = templates["modules/keyvault.bicep"].resources_of_type("Microsoft.KeyVault/vaults").values()
    properties = vault["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert properties["enableSoftDelete"] is True
    assert properties["enablePurgeProtection"] is True
    assert properties["sku"]["name"] == "standard"


def test_secrets_carry_a_content_type(templates: dict[str, Template]) -> None:
    secrets = templates["modules/keyvault.bicep"].resources_of_type("Microsoft.KeyVault/vaults/secrets")
    assert secrets
    assert all(secret["properties"]["contentType"].startswith("text/plain") for secret in secrets.values())
