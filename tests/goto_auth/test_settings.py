"""load_goto_auth_settings: modes, defaults, and one ConfigError naming every bad setting."""

from __future__ import annotations

import pytest

from provisioning.errors import ConfigError
from provisioning.goto_auth import (
    GOTO_AUTH_DEPRECATED_SETTINGS,
    GOTO_AUTH_SECRET_SETTINGS,
    GOTO_AUTH_SETTING_NAMES,
    load_goto_auth_settings,
)
from provisioning.goto_auth.settings import DEFAULT_GOTO_AUTH_BASE_URL

SECRET = "client-secret-that-must-stay-hidden"
PASSWORD = "admin-password-that-must-stay-hidden"
AZURE = {
    "GOTO_CLIENT_ID": "client-id",
    "GOTO_CLIENT_SECRET": SECRET,
    "GOTO_REDIRECT_URI": "https://func-goto.azurewebsites.net/api/goto/callback",
    "KEY_VAULT_URL": "https://kv-goto.vault.azure.net/",
}


def test_the_authorization_code_mode_in_azure_with_defaults() -> None:
    settings = load_goto_auth_settings(AZURE)

    assert settings.mode == "authorization_code"
    assert settings.auth_base_url == DEFAULT_GOTO_AUTH_BASE_URL
    assert settings.token_endpoint == "https://authentication.logmeininc.com/oauth/token"
    assert settings.authorize_endpoint == "https://authentication.logmeininc.com/oauth/authorize"
    assert settings.key_vault_url == "https://kv-goto.vault.azure.net"
    assert settings.refresh_token_secret_name == "goto-refresh-token"
    assert settings.scope is None and settings.username is None
    assert SECRET not in repr(settings)


def test_every_bad_setting_is_named_in_one_error() -> None:
    env = {
        "GOTO_AUTH_BASE_URL": "http://authentication.logmeininc.com",
        "GOTO_REDIRECT_URI": "https://example.com/cb#frag",
        "GOTO_OAUTH_SCOPE": 'identity:scim.org "quoted"',
        "KEY_VAULT_URL": "http://kv.vault.azure.net",
        "GOTO_REFRESH_TOKEN_SECRET_NAME": "bad_name!",
        "GOTO_USERNAME": "admin@contoso.com",
    }

    with pytest.raises(ConfigError) as raised:
        load_goto_auth_settings(env)

    named = set(raised.value.setting.split(", "))
    assert named == {
        "GOTO_CLIENT_ID",
        "GOTO_CLIENT_SECRET",
        "GOTO_AUTH_BASE_URL",
        "GOTO_REDIRECT_URI",
        "GOTO_OAUTH_SCOPE",
        "KEY_VAULT_URL",
        "GOTO_REFRESH_TOKEN_SECRET_NAME",
        "GOTO_PASSWORD",
    }
    assert "must use https" in str(raised.value) and "fragment" in str(raised.value)


def test_without_a_key_vault_the_file_store_is_refused_for_the_real_goto() -> None:
    env = {k: v for k, v in AZURE.items() if k != "KEY_VAULT_URL"}

    with pytest.raises(ConfigError, match=r"KEY_VAULT_URL is required.*loopback") as raised:
        load_goto_auth_settings(env)
    assert raised.value.setting == "KEY_VAULT_URL"
    assert SECRET not in str(raised.value)


def test_without_a_key_vault_the_file_store_serves_loopback_sandboxes() -> None:
    env = {
        "GOTO_CLIENT_ID": "sandbox-client",
        "GOTO_CLIENT_SECRET": SECRET,
        "GOTO_AUTH_BASE_URL": "http://127.0.0.1:8082",
        "GOTO_SCIM_BASE_URL": "http://127.0.0.1:8082/identity/v1",
    }

    settings = load_goto_auth_settings(env)

    assert settings.key_vault_url is None and settings.loopback_only
    assert str(settings.token_file) == ".sandbox/goto-refresh-token.json"
    with pytest.raises(ConfigError, match="KEY_VAULT_URL"):  # the SCIM side is not a sandbox
        load_goto_auth_settings({**env, "GOTO_SCIM_BASE_URL": "https://api.getgo.com/identity/v1"})


def test_the_static_token_needs_no_oauth_client() -> None:
    settings = load_goto_auth_settings({"GOTO_ACCESS_TOKEN": "sandbox-goto-token"})

    assert settings.mode == "static"
    assert "sandbox-goto-token" not in repr(settings)


def test_the_legacy_password_grant_needs_both_user_and_password_and_the_client() -> None:
    settings = load_goto_auth_settings(
        {**AZURE, "GOTO_USERNAME": "admin@contoso.com", "GOTO_PASSWORD": PASSWORD}
    )

    assert settings.mode == "password"
    assert PASSWORD not in repr(settings)
    with pytest.raises(ConfigError) as raised:
        load_goto_auth_settings({"GOTO_PASSWORD": PASSWORD})
    # without a user name this is the code flow, which also needs a vault outside sandboxes
    assert set(raised.value.setting.split(", ")) == {
        "GOTO_USERNAME",
        "GOTO_CLIENT_ID",
        "GOTO_CLIENT_SECRET",
        "KEY_VAULT_URL",
    }
    assert PASSWORD not in str(raised.value)


def test_scope_is_normalised_and_the_secret_name_is_kept() -> None:
    settings = load_goto_auth_settings(
        {
            **AZURE,
            "GOTO_OAUTH_SCOPE": "  identity:scim.org   identity:scim.me ",
            "GOTO_REFRESH_TOKEN_SECRET_NAME": "Goto-RT-2",
        }
    )

    assert settings.scope == "identity:scim.org identity:scim.me"
    assert settings.refresh_token_secret_name == "Goto-RT-2"


def test_the_exported_names_are_the_settings_read() -> None:
    assert len(set(GOTO_AUTH_SETTING_NAMES)) == len(GOTO_AUTH_SETTING_NAMES)
    assert {"GOTO_CLIENT_SECRET", "GOTO_PASSWORD"} == GOTO_AUTH_SECRET_SETTINGS
    assert set(GOTO_AUTH_SETTING_NAMES) >= GOTO_AUTH_DEPRECATED_SETTINGS
    read: set[str] = set()

    class Spy(dict[str, str]):
        def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
            read.add(key)
            return super().get(key, default)

    load_goto_auth_settings(Spy(AZURE))
    # GOTO_ACCESS_TOKEN and GOTO_SCIM_BASE_URL belong to provisioning.config; they are read here too
    assert read - {"GOTO_ACCESS_TOKEN", "GOTO_SCIM_BASE_URL"} == set(GOTO_AUTH_SETTING_NAMES)


def test_an_unresolved_client_secret_reference_is_named_with_its_secret_only() -> None:
    reference = "@Microsoft.KeyVault(VaultName=kv-goto-prod;SecretName=goto-client-secret)"

    with pytest.raises(ConfigError) as raised:
        load_goto_auth_settings({**AZURE, "GOTO_CLIENT_SECRET": reference})

    # the literal reference is not taken as the client secret, and not reported as merely missing
    assert raised.value.setting == "GOTO_CLIENT_SECRET"
    assert "unresolved Key Vault reference to the secret 'goto-client-secret'" in str(raised.value)
    assert "is required" not in str(raised.value) and "kv-goto-prod" not in str(raised.value)


def test_an_unresolved_static_token_reference_does_not_ask_for_an_oauth_client() -> None:
    with pytest.raises(ConfigError) as raised:
        load_goto_auth_settings({"GOTO_ACCESS_TOKEN": "@Microsoft.KeyVault(SecretName=goto-token)"})
    assert raised.value.setting == "GOTO_ACCESS_TOKEN"


@pytest.mark.parametrize("name", ["GOTO_CLIENT_ID", "GOTO_CLIENT_SECRET"])
def test_a_blank_client_setting_counts_as_missing(name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} is required") as raised:
        load_goto_auth_settings({**AZURE, name: "   "})
    assert raised.value.setting == name


def test_the_scim_url_is_checked_here_too_with_the_shared_loopback_rule() -> None:
    sandbox = {
        "GOTO_CLIENT_ID": "sandbox-client",
        "GOTO_CLIENT_SECRET": SECRET,
        "GOTO_AUTH_BASE_URL": "http://127.0.0.2:8082",  # all of 127/8 is loopback, as for SMTP
        "GOTO_SCIM_BASE_URL": "http://localhost:8082/identity/v1",
    }
    assert load_goto_auth_settings(sandbox).loopback_only

    with pytest.raises(ConfigError) as raised:
        load_goto_auth_settings({**sandbox, "GOTO_SCIM_BASE_URL": "http://api.getgo.com/identity/v1"})
    assert raised.value.setting.split(", ")[0] == "GOTO_SCIM_BASE_URL"
    assert "must use https" in str(raised.value)
