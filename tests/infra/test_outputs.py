"""Outputs give the admin (and the scripts) what the guide needs: the function URL, the OAuth
callback URL, and the names of everything created."""

from __future__ import annotations

from typing import Any

from tests.infra.bicep import INFRA, Template, decorators, render, site_app_settings

EXPECTED = {
    "AZURE_RESOURCE_GROUP",
    "AZURE_TENANT_ID",
    "AZURE_LOCATION",
    "AZURE_FUNCTION_APP_NAME",
    "FUNCTION_APP_URL",
    "GOTO_REDIRECT_URL",
    "AZURE_MANAGED_IDENTITY_NAME",
    "AZURE_MANAGED_IDENTITY_CLIENT_ID",
    "AZURE_MANAGED_IDENTITY_PRINCIPAL_ID",
    "AZURE_KEY_VAULT_NAME",
    "AZURE_KEY_VAULT_URL",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "APPLICATIONINSIGHTS_NAME",
    "LOG_ANALYTICS_WORKSPACE_NAME",
}


def test_outputs_name_everything_and_say_what_they_are(main: Template) -> None:
    outputs = main.section("outputs")
    assert set(outputs) == EXPECTED
    assert all(decorators(entry).get("description") for entry in outputs.values())


def test_urls_point_at_the_app_and_its_oauth_callback(main: Template, modules: dict[str, Template]) -> None:
    outputs = main.section("outputs")
    assert render(outputs["FUNCTION_APP_URL"]["value"]) == "https://${functionApp.outputs.defaultHostName}"
    # what the admin registers in GoTo is exactly what the app sends as redirect_uri
    assert render(outputs["GOTO_REDIRECT_URL"]["value"]) == "functionApp.outputs.gotoRedirectUri"
    function = modules["functionApp"]
    assert render(function.section("outputs")["gotoRedirectUri"]["value"]) == "siteSettings.GOTO_REDIRECT_URI"
    product, _ = site_app_settings(main, function)
    assert (
        render(product["GOTO_REDIRECT_URI"])
        == "https://${site.properties.defaultHostName}${gotoCallbackPath}"
    )


def test_the_redirect_path_is_the_apps_callback_route(main: Template, functions: dict[str, Any]) -> None:
    """The path the template appends to the host name is the route of the real callback function."""
    trigger = functions["goto_callback"].get_trigger()
    assert main.variable("gotoCallbackPath") == f"/api/{trigger.route}"
    assert render(main.module("functionApp")["config"]["params"]["gotoCallbackPath"]) == "gotoCallbackPath"


def test_the_graph_script_reads_the_principal_id_output() -> None:
    """azd hands outputs to hooks as environment variables: the names must match."""
    script = (INFRA / "scripts" / "grant-graph-permissions.sh").read_text()
    assert "${AZURE_MANAGED_IDENTITY_PRINCIPAL_ID:-}" in script
