"""The Function app runs as the user-assigned identity, and as nothing else: for Microsoft Graph
(AZURE_CLIENT_ID), Table Storage, the host's storage, the deployment package, Key Vault references,
telemetry and every role assignment."""

from __future__ import annotations

from typing import Any

from tests.infra.bicep import Template, render, site_app_settings


def test_the_app_has_only_the_user_assigned_identity(modules: dict[str, Template]) -> None:
    (site,) = modules["functionApp"].resources_of_type("Microsoft.Web/sites").values()
    assert site["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {"'${identityId}'": {}}}
    assert site["properties"]["keyVaultReferenceIdentity"] == "identityId"
    storage = site["properties"]["functionAppConfig"]["deployment"]["storage"]
    assert storage["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityId",
    }


def test_main_wires_the_identity_module_into_the_app(main: Template) -> None:
    params = main.module("functionApp")["config"]["params"]
    assert render(params["identityId"]) == "identity.outputs.id"
    assert render(params["identityClientId"]) == "identity.outputs.clientId"
    assert main.module("identity")["detail"]["path"] == "modules/identity.bicep"


def test_graph_and_tables_use_the_identity(main: Template, modules: dict[str, Template]) -> None:
    product, platform = site_app_settings(main, modules["functionApp"])
    assert render(product["AZURE_CLIENT_ID"]) == "identity.outputs.clientId"  # Graph and Tables
    assert render(product["AzureWebJobsStorage__tableServiceUri"]) == "storage.outputs.tableEndpoint"
    assert platform["AzureWebJobsStorage__credential"] == "managedidentity"
    assert platform["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert platform["AzureWebJobsStorage__blobServiceUri"] == "blobEndpoint"
    assert (
        platform["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]
        == "ClientId=${identityClientId};Authorization=AAD"
    )


def test_every_role_assignment_is_for_the_identity(main: Template, modules: dict[str, Template]) -> None:
    holders = [symbol for symbol, module in modules.items() if _role_assignments(module)]
    assert sorted(holders) == ["keyVault", "monitoring", "storage"]
    for symbol in holders:
        assert (
            render(main.module(symbol)["config"]["params"]["principalId"]) == "identity.outputs.principalId"
        )
        for assignment in _role_assignments(modules[symbol]):
            assert assignment["properties"]["principalId"] == "principalId"
            assert assignment["properties"]["principalType"] == "ServicePrincipal"


def _role_assignments(template: Template) -> list[dict[str, Any]]:
    return list(template.resources_of_type("Microsoft.Authorization/roleAssignments").values())
