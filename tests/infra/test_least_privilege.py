"""Least privilege: the identity holds exactly five data-plane roles, each on one resource, and no
control-plane role anywhere; Key Vault uses RBAC (no access policies); the Graph permissions are
the three read-only ones the code needs."""

from __future__ import annotations

import re

from tests.infra.bicep import INFRA, Template, render

# role definition id -> (name, the module and the scope it may be assigned on)
EXPECTED_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": ("Storage Blob Data Owner", "storage", "account"),
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": ("Storage Table Data Contributor", "storage", "account"),
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": ("Storage Queue Data Contributor", "storage", "account"),
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": ("Key Vault Secrets Officer", "keyVault", "vault"),
    "3913510d-42f4-4e42-8a64-420c390055eb": ("Monitoring Metrics Publisher", "monitoring", "appInsights"),
}
GRAPH_PERMISSIONS = {"User.Read.All", "GroupMember.Read.All", "Application.Read.All"}


def test_the_identity_holds_exactly_the_expected_roles_each_on_one_resource(
    modules: dict[str, Template],
) -> None:
    granted = []
    for symbol, template in modules.items():
        for assignment in template.resources_of_type("Microsoft.Authorization/roleAssignments").values():
            role_var = re.fullmatch(
                r"subscription_resource_id\(Microsoft\.Authorization/roleDefinitions, (\w+)(?:, null)*\)",
                render(assignment["properties"]["roleDefinitionId"]),
            )
            assert role_var, render(assignment["properties"]["roleDefinitionId"])
            role_id = template.variable(role_var.group(1))
            granted.append((role_id, symbol, render(assignment["scope"])))
            # the name is stable per scope, principal and role, so redeploying never duplicates it
            assert (
                render(assignment["name"])
                == f"guid({render(assignment['scope'])}.id, principalId, {role_var.group(1)})"
            )
    assert sorted(granted) == sorted(
        (role, module, scope) for role, (_, module, scope) in EXPECTED_ROLES.items()
    )


def test_no_role_is_assigned_at_resource_group_or_subscription_scope(templates: dict[str, Template]) -> None:
    for path, template in templates.items():
        for assignment in template.resources_of_type("Microsoft.Authorization/roleAssignments").values():
            assert "scope" in assignment, (
                f"{path}: a role assignment without scope lands on the resource group"
            )


def test_key_vault_authorizes_with_rbac_only(templates: dict[str, Template]) -> None:
    (vault,) = templates["modules/keyvault.bicep"].resources_of_type("Microsoft.KeyVault/vaults").values()
    assert vault["properties"]["enableRbacAuthorization"] is True
    assert "accessPolicies" not in vault["properties"]


def test_the_graph_script_grants_the_three_read_permissions_and_nothing_else() -> None:
    script = (INFRA / "scripts" / "grant-graph-permissions.sh").read_text()
    (line,) = re.findall(r'^permissions="([^"]*)"$', script, re.MULTILINE)
    assert set(line.split()) == GRAPH_PERMISSIONS
    assert "ReadWrite" not in script
