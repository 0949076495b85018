"""Application Insights on a Log Analytics workspace, local (key) authentication off on both: the
app sends telemetry as its identity."""

from __future__ import annotations

from tests.infra.bicep import Template, render


def test_application_insights_is_workspace_based_without_local_auth(templates: dict[str, Template]) -> None:
    monitoring = templates["modules/monitoring.bicep"]
    (workspace,) = monitoring.resources_of_type("Microsoft.OperationalInsights/workspaces").values()
    (insights,) = monitoring.resources_of_type("Microsoft.Insights/components").values()
    assert render(insights["properties"]["WorkspaceResourceId"]) == "workspace.id"
    assert insights["properties"]["DisableLocalAuth"] is True
    assert workspace["properties"]["features"]["disableLocalAuth"] is True
    assert workspace["properties"]["retentionInDays"] == "retentionInDays"


def test_the_app_gets_the_connection_string_of_this_component(main: Template) -> None:
    params = main.module("functionApp")["config"]["params"]
    assert render(params["applicationInsightsConnectionString"]) == "monitoring.outputs.connectionString"
