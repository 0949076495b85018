"""Settings: defaults, validation naming each bad setting, and secrets kept out of repr."""

from __future__ import annotations

import pytest

from provisioning.config import DEFAULT_SYNC_SCHEDULE, load_settings
from provisioning.errors import ConfigError

SP = "6f1c5d2e-1b7a-4c1e-9a0f-2f4b8c6d0e11"
GOOD = {
    "ENTRA_SERVICE_PRINCIPAL_ID": SP,
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "GRAPH_ACCESS_TOKEN": "graph-secret-value",
    "GOTO_ACCESS_TOKEN": "goto-secret-value",
}


def test_defaults() -> None:
    s = load_settings(GOOD)
    assert s.service_principal_id == SP
    assert s.graph_base_url == "https://graph.microsoft.com/v1.0"
    assert s.goto_scim_base_url == "https://api.getgo.com/identity/v1"
    assert s.goto_rate_limit_per_second == 10.0
    assert s.sync_schedule == DEFAULT_SYNC_SCHEDULE
    assert s.graph_credential_kind == "static-token"


def test_secrets_never_in_repr() -> None:
    text = repr(load_settings({**GOOD, "AZURE_CLIENT_SECRET": "client-secret-value"}))
    for secret in ("graph-secret-value", "goto-secret-value", "client-secret-value", "UseDevelopmentStorage"):
        assert secret not in text


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ENTRA_SERVICE_PRINCIPAL_ID", "not-a-guid", "must be a GUID"),
        ("GRAPH_BASE_URL", "ftp://graph", "absolute http(s) URL"),
        ("GRAPH_BASE_URL", "http://graph.example.com/v1.0", "https"),
        ("GOTO_SCIM_BASE_URL", "nonsense", "absolute http(s) URL"),
        ("GOTO_RATE_LIMIT_PER_SECOND", "0", "positive"),
        ("GOTO_RATE_LIMIT_PER_SECOND", "ten", "number"),
        ("SYNC_SCHEDULE", "*/5 * * * *", "six-field"),
        ("AzureWebJobsStorage", "garbage", "connection string"),
        ("GOTO_SCIM_DIALECT", "scim1", "'goto' or 'rfc7644'"),
    ],
)
def test_malformed_setting_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**GOOD, name: value})
    assert caught.value.setting == name
    assert message in str(caught.value)


@pytest.mark.parametrize("name", ["ENTRA_SERVICE_PRINCIPAL_ID", "AzureWebJobsStorage"])
def test_missing_required_setting_is_named(name: str) -> None:
    env = {k: v for k, v in GOOD.items() if k != name}
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert name in caught.value.setting
    assert "required" in str(caught.value)


def test_client_secret_needs_tenant_and_client_id() -> None:
    env = {k: v for k, v in GOOD.items() if k != "GRAPH_ACCESS_TOKEN"} | {"AZURE_CLIENT_SECRET": "s"}
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.setting == "AZURE_TENANT_ID, AZURE_CLIENT_ID"


def test_tables_endpoint_with_managed_identity() -> None:
    env = {k: v for k, v in GOOD.items() if k != "AzureWebJobsStorage"}
    env["AzureWebJobsStorage__tableServiceUri"] = "https://acct.table.core.windows.net"
    s = load_settings(env)
    assert s.tables_endpoint == "https://acct.table.core.windows.net"
    assert s.tables_connection_string is None


class _Recording(dict[str, str]):
    """A settings mapping that remembers every name looked up."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def test_setting_names_list_every_setting_read() -> None:
    from provisioning.config import SETTING_NAMES

    env = _Recording(GOOD)
    load_settings(env)
    assert env.read == set(SETTING_NAMES)


def test_safety_settings_defaults_and_parsing() -> None:
    s = load_settings(GOOD)
    assert (s.provisioning_enabled, s.dry_run, s.deprovision_threshold, s.skip_out_of_scope_deletions) == (
        True,
        False,
        500,
        False,
    )
    s = load_settings(
        {
            **GOOD,
            "PROVISIONING_ENABLED": "false",
            "DRY_RUN": "TRUE",
            "DEPROVISION_THRESHOLD": "0",
            "SKIP_OUT_OF_SCOPE_DELETIONS": "yes",
            "CYCLE_TIME_BUDGET_SECONDS": "120",
        }
    )
    assert (s.provisioning_enabled, s.dry_run, s.deprovision_threshold, s.skip_out_of_scope_deletions) == (
        False,
        True,
        0,
        True,
    )
    assert s.cycle_time_budget_seconds == 120.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PROVISIONING_ENABLED", "maybe", "true or false"),
        ("DRY_RUN", "2", "true or false"),
        ("DEPROVISION_THRESHOLD", "-1", "0 or more"),
        ("DEPROVISION_THRESHOLD", "many", "whole number"),
        ("CYCLE_TIME_BUDGET_SECONDS", "0", "positive"),
    ],
)
def test_bad_safety_setting_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**GOOD, name: value})
    assert caught.value.setting == name and message in str(caught.value)


def test_goto_credentials_are_required_one_way_or_another() -> None:
    env = {k: v for k, v in GOOD.items() if k != "GOTO_ACCESS_TOKEN"}
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert "GOTO_CLIENT_ID" in caught.value.setting and "GOTO_ACCESS_TOKEN" in str(caught.value)
    oauth = load_settings(
        {
            **env,
            "GOTO_CLIENT_ID": "client",
            "GOTO_CLIENT_SECRET": "s3cret",
            "KEY_VAULT_URL": "https://kv.vault.azure.net",
        }
    )
    assert oauth.goto_auth is not None and oauth.goto_auth.mode == "authorization_code"
    assert "s3cret" not in repr(oauth)
