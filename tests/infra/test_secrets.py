"""No secret is ever an app setting value: secrets reach the app as Key Vault references only, secure
parameters flow only into Key Vault, and no output or default carries one."""

from __future__ import annotations

import re

from provisioning.config import SECRET_SETTINGS
from provisioning.goto_auth.settings import GOTO_AUTH_SECRET_SETTINGS
from tests.infra.bicep import Template, conditional_branches, decorators, render, site_app_settings

KEY_VAULT_REFERENCE = re.compile(
    r"^@Microsoft\.KeyVault\(VaultName=\$\{keyVaultName\};SecretName=\$\{(\w+)\}\)$"
)
# A setting named like a secret is treated as one even before it joins SECRET_SETTINGS (not one
# that only names or locates a secret, like GOTO_REFRESH_TOKEN_SECRET_NAME or KEY_VAULT_URL).
LOOKS_SECRET = re.compile(r"SECRET|PASSWORD|TOKEN|CREDENTIAL|(^|_)KEY$")


def is_secret(name: str) -> bool:
    return name in SECRET_SETTINGS | GOTO_AUTH_SECRET_SETTINGS or bool(
        LOOKS_SECRET.search(name) and not name.endswith(("_NAME", "_URL", "_URI"))
    )


def secret_names(product: dict[str, object]) -> list[str]:
    return sorted(name for name in product if is_secret(name))


def test_secret_settings_are_key_vault_references_to_secrets_the_template_names(
    main: Template, modules: dict[str, Template]
) -> None:
    product, platform = site_app_settings(main, modules["functionApp"])
    names = secret_names(product)
    assert names, "no secret setting found: the check would prove nothing"
    assert not [name for name in platform if is_secret(name)]
    kv_params = main.module("keyVault")["config"]["params"]
    stored = {render(kv_params[key]) for key in kv_params if key.endswith("Name") and key != "name"}
    for name in names:
        for value in conditional_branches(product[name]):
            if value == "":
                continue  # unset while its feature is off (no SMTP_USERNAME, no GOTO_CLIENT_ID yet)
            match = KEY_VAULT_REFERENCE.match(render(value))
            assert match, f"{name} must be a Key Vault reference, got {render(value)!r}"
            assert match.group(1) in stored, (
                f"{name} refers to {match.group(1)}, a secret the vault never gets"
            )
    assert render(kv_params["name"]) == "keyVaultName", "references must name the vault the template creates"


def test_secure_parameters_flow_only_into_key_vault(main: Template, templates: dict[str, Template]) -> None:
    secure = [name for name, entry in main.section("parameters").items() if "secure" in decorators(entry)]
    assert secure, "no @secure() parameter found: the check would prove nothing"
    product = render(main.variable("appSettings"))
    outputs = render({name: entry["value"] for name, entry in main.section("outputs").items()})
    kv_params = main.module("keyVault")["config"]["params"]
    for name in secure:
        assert not re.search(rf"\b{name}\b", product), f"{name} reaches an app setting"
        assert not re.search(rf"\b{name}\b", outputs), f"{name} reaches an output"
        assert render(kv_params[name]) == name, f"{name} must go to the Key Vault module"
    vault = templates["modules/keyvault.bicep"]
    secrets = vault.resources_of_type("Microsoft.KeyVault/vaults/secrets").values()
    written = {render(secret["properties"]["value"]) for secret in secrets}
    assert written == set(secure)


def test_every_secret_like_parameter_is_secure_without_a_default(templates: dict[str, Template]) -> None:
    for path, template in templates.items():
        for name, entry in template.section("parameters").items():
            if re.search(r"secret|password|token", name, re.IGNORECASE) and not name.endswith("Name"):
                assert "secure" in decorators(entry), f"{path}: {name} must be @secure()"
            if "secure" in decorators(entry):
                assert entry.get("default") in (None, ""), f"{path}: {name} has a default value"


def test_a_secret_is_written_only_when_given(templates: dict[str, Template]) -> None:
    """An empty secure parameter keeps what the vault holds, so re-provisioning never blanks a secret."""
    vault = templates["modules/keyvault.bicep"]
    secrets = vault.resources_of_type("Microsoft.KeyVault/vaults/secrets")
    assert secrets
    for symbol, secret in secrets.items():
        value = render(secret["properties"]["value"])
        assert render(vault.condition(symbol)) == f"not(empty({value}))"
