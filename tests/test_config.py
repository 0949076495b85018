"""Settings: defaults, ranges and checks naming each bad setting, the time budget bounded by host.json,
unresolved Key Vault references refused, every problem at once, and secrets kept out of repr."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from provisioning import config
from provisioning.config import DEFAULT_SYNC_SCHEDULE, budget_ceiling, load_settings
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
        ("GOTO_RATE_LIMIT_PER_SECOND", "0", "from 0.1 requests/s to 1000 requests/s"),
        ("GOTO_RATE_LIMIT_PER_SECOND", "1e-300", "from 0.1 requests/s to 1000 requests/s"),
        ("GOTO_RATE_LIMIT_PER_SECOND", "1001", "from 0.1 requests/s to 1000 requests/s"),
        ("GOTO_RATE_LIMIT_PER_SECOND", "ten", "number"),
        ("GOTO_MAX_CONCURRENCY", "0", "from 1 to 256"),
        ("GOTO_MAX_CONCURRENCY", "257", "from 1 to 256"),
        ("SYNC_SCHEDULE", "*/5 * * * *", "six-field"),
        ("SYNC_SCHEDULE", "99 99 99 99 99 99", "bad second field '99'"),
        ("SYNC_SCHEDULE", "0 0 0 31 4 *", "never fires"),
        ("AzureWebJobsStorage", "garbage", "connection string"),
        ("AzureWebJobsStorage", "AccountName=x", "no AccountKey"),
        ("AzureWebJobsStorage", "AccountName=acct;AccountKey=%%%;EndpointSuffix=core.windows.net", "base64"),
        ("AzureWebJobsStorage__tableServiceUri", "http://acct.table.core.windows.net", "https"),
        ("GOTO_SCIM_DIALECT", "scim1", "'goto' or 'rfc7644'"),
        ("HARD_DELETE_ACTION", "purge", "'disable' or 'delete'"),
        ("AUDIT_RETENTION_DAYS", "0", "from 1 to 3650"),
        ("AUDIT_RETENTION_DAYS", "3651", "from 1 to 3650"),
        ("AUDIT_RETENTION_DAYS", "a month", "whole number of days"),
    ],
)
def test_malformed_setting_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**GOOD, name: value})
    assert caught.value.setting == name
    assert message in str(caught.value)


@pytest.mark.parametrize("name", ["ENTRA_SERVICE_PRINCIPAL_ID", "AzureWebJobsStorage"])
@pytest.mark.parametrize("absent", ["unset", "", "  "])
def test_missing_required_setting_is_named(name: str, absent: str) -> None:
    env = {k: v for k, v in GOOD.items() if k != name}
    if absent != "unset":
        env[name] = absent  # AzureWebJobsStorage='' used to pass and fail later with a traceback
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.setting == name
    assert "required" in str(caught.value)


def test_a_storage_key_is_never_echoed() -> None:
    key = "c2VjcmV0LWtleS1ub3QtYmFzZTY0!"
    with pytest.raises(ConfigError) as caught:
        load_settings({**GOOD, "AzureWebJobsStorage": f"AccountName=acct;AccountKey={key};EndpointSuffix=x"})
    assert caught.value.setting == "AzureWebJobsStorage" and key not in str(caught.value)


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
        ("DEPROVISION_THRESHOLD", "-1", "from 0 to"),
        ("DEPROVISION_THRESHOLD", "many", "whole number"),
        ("CYCLE_TIME_BUDGET_SECONDS", "0", "above 0 and at most 480"),
        ("CYCLE_TIME_BUDGET_SECONDS", "1e9", "above 0 and at most 480"),
        ("CYCLE_TIME_BUDGET_SECONDS", "-inf", "above 0 and at most 480"),
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


def _host_json(tmp_path: Path, timeout: object) -> Path:
    path = tmp_path / "host.json"
    document: dict[str, object] = {"version": "2.0"}
    if timeout is not _ABSENT:
        document["functionTimeout"] = timeout
    path.write_text(json.dumps(document))
    return path


_ABSENT = object()


@pytest.mark.parametrize(
    ("timeout", "ceiling"),
    [
        ("00:10:00", 480.0),  # the real host.json: a fifth kept as margin
        ("00:05:00", 240.0),
        ("01:00:00", 2880.0),
        ("1.00:00:00", 69120.0),
        ("00:02:00", 90.0),  # the margin is at least 30 s
        (_ABSENT, 1440.0),  # Flex Consumption's default: 30 minutes
        ("-1", 2880.0),  # unbounded: Flex's 60-minute grace
    ],
)
def test_the_time_budget_ceiling_comes_from_host_json(
    tmp_path: Path, timeout: object, ceiling: float
) -> None:
    host_json = _host_json(tmp_path, timeout)
    assert budget_ceiling(host_json)[0] == ceiling
    ok = load_settings({**GOOD, "CYCLE_TIME_BUDGET_SECONDS": f"{ceiling:g}"}, host_json=host_json)
    assert ok.cycle_time_budget_seconds == ceiling
    with pytest.raises(ConfigError) as caught:
        load_settings({**GOOD, "CYCLE_TIME_BUDGET_SECONDS": f"{ceiling + 1:g}"}, host_json=host_json)
    assert caught.value.setting == "CYCLE_TIME_BUDGET_SECONDS"
    assert f"at most {ceiling:g}" in str(caught.value) and "margin" in str(caught.value)


def test_the_default_budget_shrinks_to_fit_a_short_function_timeout(tmp_path: Path) -> None:
    assert load_settings(GOOD).cycle_time_budget_seconds == 480.0  # the real host.json, 00:10:00
    short = _host_json(tmp_path, "00:05:00")
    assert load_settings(GOOD, host_json=short).cycle_time_budget_seconds == 240.0


@pytest.mark.parametrize("timeout", ["ten minutes", "00:61:00", "24:00:00", "00:00:00", 600])
def test_an_unreadable_function_timeout_is_named(tmp_path: Path, timeout: object) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(GOOD, host_json=_host_json(tmp_path, timeout))
    assert caught.value.setting == "CYCLE_TIME_BUDGET_SECONDS"
    assert "host.json functionTimeout must be hh:mm:ss or -1" in str(caught.value)


def test_the_real_host_json_bounds_the_budget() -> None:
    assert budget_ceiling()[0] == 480.0  # function_app.py's host.json: 00:10:00
    assert budget_ceiling(Path(__file__).parent.parent / "host.json")[0] == 480.0


def test_hard_delete_keeps_the_account_by_default() -> None:
    assert load_settings(GOOD).hard_delete_action == "disable"
    assert load_settings({**GOOD, "HARD_DELETE_ACTION": "delete"}).hard_delete_action == "delete"
    assert load_settings({**GOOD, "HARD_DELETE_ACTION": " Disable "}).hard_delete_action == "disable"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("GOTO_CLIENT_SECRET", "goto-client-secret"),
        ("AZURE_CLIENT_SECRET", "graph-client-secret"),
        ("SMTP_PASSWORD", "smtp-password"),
        ("ENTRA_SERVICE_PRINCIPAL_ID", "sp-id"),
        ("AzureWebJobsStorage", "storage"),
    ],
)
def test_an_unresolved_key_vault_reference_is_a_configuration_error(name: str, secret: str) -> None:
    env = {
        **GOOD,
        "GOTO_CLIENT_ID": "client",
        "GOTO_CLIENT_SECRET": "s3cret",
        "KEY_VAULT_URL": "https://kv.vault.azure.net",
        "AZURE_TENANT_ID": SP,
        "AZURE_CLIENT_ID": SP,
        "NOTIFICATION_EMAIL": "ops@contoso.com",
        "SMTP_HOST": "smtp.contoso.com",
        "SMTP_USERNAME": "relay@contoso.com",
        "SMTP_PASSWORD": "relay-password",
    }
    load_settings(env)  # the same settings resolved are fine
    env[name] = f"@Microsoft.KeyVault(SecretUri=https://kv-prod-77.vault.azure.net/secrets/{secret}/0a1b2c3d)"
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.setting == name  # one problem: not also "is required"
    assert f"{name} is an unresolved Key Vault reference to the secret '{secret}'" in str(caught.value)
    assert "kv-prod-77" not in str(caught.value) and "0a1b2c3d" not in str(caught.value)


def test_every_bad_setting_of_every_section_is_reported_at_once() -> None:
    env = {
        **GOOD,
        "AzureWebJobsStorage": "",
        "GOTO_RATE_LIMIT_PER_SECOND": "1e-300",
        "SYNC_SCHEDULE": "99 99 99 99 99 99",
        "CYCLE_TIME_BUDGET_SECONDS": "1e9",
        "AUDIT_RETENTION_DAYS": "-3",
        "SMTP_PORT": "465",
        "GOTO_AUTH_BASE_URL": "http://authentication.logmeininc.com",
        "GOTO_SCIM_BASE_URL": "http://api.getgo.com/identity/v1",  # read by config and goto_auth: told once
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.setting.split(", ") == [
        "AzureWebJobsStorage",
        "GOTO_SCIM_BASE_URL",
        "GOTO_RATE_LIMIT_PER_SECOND",
        "SYNC_SCHEDULE",
        "CYCLE_TIME_BUDGET_SECONDS",
        "AUDIT_RETENTION_DAYS",
        "SMTP_PORT",
        "GOTO_AUTH_BASE_URL",
    ]
    assert len(caught.value.problems) == 8


def test_config_reads_retention_itself_not_through_the_audit_log() -> None:
    """AUDIT_RETENTION_DAYS goes through the one reader; config no longer imports the state layer."""
    tree = ast.parse(Path(config.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "provisioning.state.audit_log" not in imported
    assert load_settings({**GOOD, "AUDIT_RETENTION_DAYS": " 90 "}).audit_retention_days == 90
    assert load_settings(GOOD).audit_retention_days == 30
