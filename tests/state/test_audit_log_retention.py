"""AUDIT_RETENTION_DAYS: 30 by default (as Entra keeps its provisioning logs), a positive whole number."""

from __future__ import annotations

import pytest

from provisioning.errors import ConfigError
from provisioning.state.audit_log import load_retention_days


@pytest.mark.parametrize(
    ("env", "days"),
    [
        ({}, 30),
        ({"AUDIT_RETENTION_DAYS": ""}, 30),
        ({"AUDIT_RETENTION_DAYS": "7"}, 7),
        ({"AUDIT_RETENTION_DAYS": " 90 "}, 90),
    ],
)
def test_retention_days(env: dict[str, str], days: int) -> None:
    assert load_retention_days(env) == days


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "thirty", "100000"])
def test_bad_retention_names_the_setting(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_retention_days({"AUDIT_RETENTION_DAYS": value})
    assert caught.value.setting == "AUDIT_RETENTION_DAYS"
    assert caught.value.problems == [("AUDIT_RETENTION_DAYS", str(caught.value).split(": ", 1)[1])]
    assert repr(value) in str(caught.value) or value in str(caught.value)


def test_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "12")
    assert load_retention_days() == 12
