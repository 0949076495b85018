"""The shared settings reader: empty is missing, unresolved Key Vault references are refused (naming
the secret only), every problem is kept, and each validator refuses what cannot work, naming the range."""

from __future__ import annotations

import math

import pytest

from provisioning.errors import ConfigError
from provisioning.settings_reader import (
    SettingsReader,
    boolean,
    choice,
    integer,
    is_loopback_host,
    is_loopback_url,
    ncrontab,
    number,
    storage_connection_string,
    url,
)

AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
VAULT = "kv-contoso-prod"
VERSION = "ec96f02080254f109c51a1f14cdb1931"


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_empty_or_blank_counts_as_missing(value: str) -> None:
    reader = SettingsReader({"NAME": value})
    assert reader.raw("NAME") is None and not reader.present("NAME")
    assert reader.required("NAME", str) is None
    assert reader.problems == [("NAME", "is required but not set")]


@pytest.mark.parametrize(
    ("reference", "secret"),
    [
        (
            f"@Microsoft.KeyVault(SecretUri=https://{VAULT}.vault.azure.net/secrets/goto-client-secret/)",
            "goto-client-secret",
        ),
        (
            f"@Microsoft.KeyVault(SecretUri=https://{VAULT}.vault.azure.net/secrets/smtp-password/{VERSION})",
            "smtp-password",
        ),
        (
            f"@Microsoft.KeyVault(VaultName={VAULT};SecretName=graph-secret;SecretVersion={VERSION})",
            "graph-secret",
        ),
        (f" @microsoft.keyvault(VaultName={VAULT};SecretName=lower-case) ", "lower-case"),
    ],
)
def test_an_unresolved_key_vault_reference_names_the_setting_and_the_secret_only(
    reference: str, secret: str
) -> None:
    reader = SettingsReader({"GOTO_CLIENT_SECRET": reference})

    assert reader.raw("GOTO_CLIENT_SECRET") is None  # never handed on as if it were the secret
    reader.missing("GOTO_CLIENT_SECRET", "is required")  # the reference is the one problem told
    error = reader.error()
    assert error is not None and error.setting == "GOTO_CLIENT_SECRET"
    [(setting, message)] = error.problems
    assert setting == "GOTO_CLIENT_SECRET" and f"secret '{secret}'" in message
    assert "unresolved Key Vault reference" in message
    for rest in (VAULT, VERSION, "SecretUri", "vault.azure.net", "@Microsoft"):
        assert rest not in str(error)


def test_a_reference_without_a_readable_secret_name_still_refuses_and_echoes_nothing() -> None:
    reader = SettingsReader(
        {"SMTP_PASSWORD": "@Microsoft.KeyVault(SecretUri=https://x.vault.azure.net/keys/k/)"}
    )
    assert reader.raw("SMTP_PASSWORD") is None
    [(_, message)] = reader.problems
    assert "secret name cannot be read" in message and "x.vault" not in message


def test_every_problem_is_reported_at_once_and_a_shared_one_once() -> None:
    reader = SettingsReader({"A": "x", "B": "-1", "C": "maybe"})
    reader.optional("A", integer(0, 9))
    reader.optional("B", integer(0, 9))
    reader.optional("C", boolean)
    reader.optional("C", boolean)  # two sections reading one setting with one check
    reader.required("D", str)

    with pytest.raises(ConfigError) as caught:
        reader.raise_if_problems()
    assert caught.value.setting == "A, B, C, D"
    assert [name for name, _ in caught.value.problems] == ["A", "B", "C", "D"]
    assert "\n" not in str(caught.value)  # one line on a console


def test_a_bad_value_falls_back_to_the_default_and_is_recorded() -> None:
    reader = SettingsReader({"N": "lots"})
    assert reader.value("N", integer(1, 5), 3) == 3
    assert reader.problems == [("N", "must be a whole number from 1 to 5, got 'lots'")]


@pytest.mark.parametrize(
    ("check", "value", "says"),
    [
        (number(0.1, 1000), "1e-300", "from 0.1 to 1000"),
        (number(0.1, 1000), "1001", "from 0.1 to 1000"),
        (number(0.1, 1000), "nan", "from 0.1 to 1000"),
        (number(0.1, 1000), "inf", "from 0.1 to 1000"),
        (number(0, 480, above=True), "0", "above 0 and at most 480"),
        (number(0, 480, above=True), "1e9", "above 0 and at most 480"),
        (integer(0), "-1", "0 or more"),
        (integer(1, 256), "257", "from 1 to 256"),
        (integer(1, 256), "2.5", "whole number"),
        (choice("disable", "delete"), "remove", "'disable' or 'delete'"),
        (choice("a", "b", "c"), "d", "'a', 'b' or 'c'"),
        (boolean, "2", "true or false"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_the_range(check: object, value: str, says: str) -> None:
    assert callable(check)
    with pytest.raises(ValueError, match=says):
        check(value)


def test_the_range_ends_are_allowed() -> None:
    assert number(0.1, 1000)("0.1") == 0.1 and number(0.1, 1000)("1000") == 1000
    assert math.isclose(number(0, 480, above=True)("0.000001"), 1e-6)
    assert integer(1, 256)("256") == 256 and choice("disable", "delete")("Delete") == "delete"


@pytest.mark.parametrize(
    ("schedule", "says"),
    [
        ("99 99 99 99 99 99", "bad second field '99'"),
        ("0 99 * * * *", "bad minute field '99'"),
        ("0 0 25 * * *", "bad hour field '25'"),
        ("0 0 0 32 * *", "bad day field '32'"),
        ("0 0 0 * 13 *", "bad month field '13'"),
        ("0 0 0 * * 9", "bad weekday field '9'"),
        ("*/0 * * * * *", "bad second field"),
        ("0 0 0 L * *", "bad day field 'L'"),  # croniter knows L; NCRONTAB does not
        ("0 0 0 * * mon#2", "bad weekday field"),
        ("0 0 0 30 2 *", "never fires"),
        ("*/5 * * * *", "six-field"),
        ("00:10:00", "six-field"),
    ],
)
def test_a_schedule_croniter_or_ncrontab_cannot_run_is_refused_with_the_field_named(
    schedule: str, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        ncrontab(schedule)


@pytest.mark.parametrize(
    "schedule", ["0 */10 * * * *", "30 0 2 * * mon-fri", "0 0 0 29 2 *", "0 0 9 * jan,jul *"]
)
def test_real_schedules_pass(schedule: str) -> None:
    assert ncrontab(schedule) == schedule


@pytest.mark.parametrize(
    "value",
    [
        "UseDevelopmentStorage=true",
        f"DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey={AZURITE_KEY};EndpointSuffix=core.windows.net",
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
        "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;",
        "TableEndpoint=https://contoso.table.core.windows.net/;SharedAccessSignature=sv=2022-11-02&sig=abc%3D",
    ],
)
def test_usable_connection_strings_pass(value: str) -> None:
    assert storage_connection_string(value) == value


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("AccountName=x", "no AccountKey"),
        ("garbage", "Name=value parts"),
        ("UseDevelopmentStorage=false", "UseDevelopmentStorage"),
        ("AccountName=contoso;AccountKey=not+base64!!;EndpointSuffix=core.windows.net", "not base64"),
        (f"AccountName=Contoso_1;AccountKey={AZURITE_KEY};EndpointSuffix=core.windows.net", "AccountName"),
        (f"AccountName=contoso;AccountKey={AZURITE_KEY}", "EndpointSuffix, or a TableEndpoint"),
        (f"DefaultEndpointsProtocol=http;AccountName=contoso;AccountKey={AZURITE_KEY}", "use https"),
        (f"DefaultEndpointsProtocol=ftp;AccountName=contoso;AccountKey={AZURITE_KEY}", "https or http"),
        (
            f"AccountName=contoso;AccountKey={AZURITE_KEY};TableEndpoint=http://contoso.example/",
            "loopback",
        ),
        ("TableEndpoint=https://contoso.table.core.windows.net;SharedAccessSignature=", "empty"),
        ("AccountName=contoso;SharedAccessSignature=sig=abc", "no TableEndpoint"),
    ],
)
def test_connection_strings_that_cannot_work_are_refused_without_echoing_them(value: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        storage_connection_string(value)
    message = str(caught.value)
    for secret in (AZURITE_KEY, "not+base64!!", "sig=abc", "contoso.example"):
        assert secret not in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "localhost", "LOCALHOST", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["127.example.com", "10.0.0.1", "localhost.contoso.com", "", None])
def test_other_hosts_are_not_loopback(host: str | None) -> None:
    assert not is_loopback_host(host)


def test_one_loopback_rule_for_urls() -> None:
    assert url("http://127.0.0.2:8080/v1/") == "http://127.0.0.2:8080/v1"  # notify and config agreed
    assert is_loopback_url("http://[::1]:10002") and not is_loopback_url("https://api.getgo.com")
    with pytest.raises(ValueError, match="must use https"):
        url("http://127.example.com/")


def test_a_key_vault_secret_name_with_a_trailing_newline_is_refused() -> None:
    from provisioning.settings_reader import key_vault_secret_name

    assert key_vault_secret_name("goto-refresh-token") == "goto-refresh-token"
    with pytest.raises(ValueError, match="Key Vault secret name"):
        key_vault_secret_name("goto-refresh-token\n")
