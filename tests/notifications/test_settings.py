"""The change-notification settings: off by default; with GRAPH_NOTIFICATION_URL the clientState is
required and bounded; problems name the setting and never show the URL (it holds the function key)
or the clientState."""

from __future__ import annotations

import pytest

from provisioning.config import SECRET_SETTINGS, SETTING_NAMES, load_settings
from provisioning.errors import ConfigError

BASE = {
    "ENTRA_SERVICE_PRINCIPAL_ID": "8f6a3c2e-4b1d-4e7a-9c5f-2d8b1a0e6f31",
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "GRAPH_ACCESS_TOKEN": "t",
    "GOTO_ACCESS_TOKEN": "t",
}
URL = "https://func-x.azurewebsites.net/api/graph/notifications?code=THE-FUNCTION-KEY"
STATE = "A" * 40


def test_off_by_default() -> None:
    change = load_settings(BASE).change_notifications
    assert not change.enabled
    assert change.queue_name == "graph-change-notifications"
    assert change.poison_queue_name == "graph-change-notifications-poison"


def test_on_with_url_and_client_state_which_stay_out_of_repr() -> None:
    settings = load_settings(
        {**BASE, "GRAPH_NOTIFICATION_URL": URL, "GRAPH_NOTIFICATION_CLIENT_STATE": STATE}
    )
    assert settings.change_notifications.enabled
    assert "THE-FUNCTION-KEY" not in repr(settings) and STATE not in repr(settings)
    assert {"GRAPH_NOTIFICATION_URL", "GRAPH_NOTIFICATION_CLIENT_STATE"} <= SECRET_SETTINGS
    assert "GRAPH_SUBSCRIPTION_SCHEDULE" in SETTING_NAMES


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"GRAPH_NOTIFICATION_URL": URL}, "GRAPH_NOTIFICATION_CLIENT_STATE"),
        ({"GRAPH_NOTIFICATION_URL": URL, "GRAPH_NOTIFICATION_CLIENT_STATE": "x" * 129}, "128"),
        ({"GRAPH_NOTIFICATION_URL": URL, "GRAPH_NOTIFICATION_CLIENT_STATE": "short"}, "16"),
        (
            {
                "GRAPH_NOTIFICATION_URL": URL.replace("https", "http"),
                "GRAPH_NOTIFICATION_CLIENT_STATE": STATE,
            },
            "https",
        ),
        ({"GRAPH_NOTIFICATION_URL": URL.split("?")[0], "GRAPH_NOTIFICATION_CLIENT_STATE": STATE}, "code="),
        ({"GRAPH_NOTIFICATION_QUEUE": "Bad_Name"}, "GRAPH_NOTIFICATION_QUEUE"),
        ({"GRAPH_SUBSCRIPTION_SCHEDULE": "hourly"}, "GRAPH_SUBSCRIPTION_SCHEDULE"),
    ],
)
def test_each_problem_names_its_setting_and_hides_secrets(values: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({**BASE, **values})
    message = str(raised.value)
    assert named in message
    assert "THE-FUNCTION-KEY" not in message and STATE not in message
