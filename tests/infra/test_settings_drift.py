"""No drift between the settings the code reads and infra/: provisioning.config.SETTING_NAMES, and the
GoTo credential layer's own list (provisioning.goto_auth.settings) until config takes it in.

Every setting the code reads is set by the template, except sandbox-only ones (which must not appear
anywhere in infra/) and the alternatives a managed-identity deployment does not use (listed below,
each with its reason). Conversely, every app setting the template sets is one the code reads, or a
platform setting the Functions host reads.
"""

from __future__ import annotations

from provisioning.config import SANDBOX_ONLY_SETTINGS, SETTING_NAMES
from provisioning.goto_auth.settings import GOTO_AUTH_SETTING_NAMES
from tests.infra.bicep import INFRA, Template, site_app_settings

# Read by the code, deliberately not set by a managed-identity deployment (and so absent from infra/).
NOT_SET_IN_A_MANAGED_IDENTITY_DEPLOYMENT = {
    "AzureWebJobsStorage": "a connection string carries the account key; Tables are reached with "
    "AzureWebJobsStorage__tableServiceUri and the identity, and shared keys are disabled",
    "AZURE_CLIENT_SECRET": "an app registration's secret; Graph is reached with the managed identity",
    "AZURE_TENANT_ID": "only read with AZURE_CLIENT_SECRET; a managed identity knows its tenant",
    "GOTO_USERNAME": "GoTo's deprecated password grant; a deployment uses the authorization-code flow",
    "GOTO_PASSWORD": "GoTo's deprecated password grant; a deployment uses the authorization-code flow",
}
READ_BY_CODE = (*SETTING_NAMES, *(name for name in GOTO_AUTH_SETTING_NAMES if name not in SETTING_NAMES))

# Settings the Functions host (not the product) reads: by exact name or prefix.
PLATFORM_PREFIXES = (
    "AzureWebJobsStorage__",  # identity-based host storage: __credential, __clientId, __*ServiceUri
    "APPLICATIONINSIGHTS_",  # telemetry: connection string and Entra ID authentication
    "FUNCTIONS_",  # host options (Flex takes runtime and version from functionAppConfig instead)
    "WEBSITE_",  # App Service platform options
    "AzureFunctionsJobHost__",  # host.json overrides
)


def infra_text() -> str:
    return "\n".join(path.read_text() for path in sorted(INFRA.rglob("*")) if path.is_file())


def test_every_setting_the_code_reads_is_set(main: Template, modules: dict[str, Template]) -> None:
    product, platform = site_app_settings(main, modules["functionApp"])
    expected = set(READ_BY_CODE) - SANDBOX_ONLY_SETTINGS - set(NOT_SET_IN_A_MANAGED_IDENTITY_DEPLOYMENT)
    missing = sorted(expected - set(product) - set(platform))
    assert missing == [], f"add each to `appSettings` in infra/main.bicep (one line each): {missing}"


def test_every_product_setting_the_template_sets_is_read_by_the_code(main: Template) -> None:
    product = main.variable("appSettings")
    unknown = sorted(
        name for name in product if name not in READ_BY_CODE and not name.startswith(PLATFORM_PREFIXES)
    )
    assert unknown == [], f"set by infra/main.bicep but read by no code (SETTING_NAMES): {unknown}"


def test_host_settings_are_platform_settings_only(main: Template, modules: dict[str, Template]) -> None:
    product, platform = site_app_settings(main, modules["functionApp"])
    assert all(name.startswith(PLATFORM_PREFIXES) for name in platform), sorted(platform)
    assert set(product).isdisjoint(platform), "a setting set twice: union() would silently pick one"


def test_sandbox_only_settings_appear_nowhere_in_infra() -> None:
    text = infra_text()
    assert [name for name in sorted(SANDBOX_ONLY_SETTINGS) if name in text] == []


def test_the_alternatives_a_managed_identity_deployment_does_not_use_are_not_set(
    main: Template, modules: dict[str, Template]
) -> None:
    product, platform = site_app_settings(main, modules["functionApp"])
    assert set(NOT_SET_IN_A_MANAGED_IDENTITY_DEPLOYMENT).isdisjoint({*product, *platform})


def test_the_exemptions_are_still_settings_the_code_reads() -> None:
    """A stale exemption would hide nothing today and silently excuse a future setting."""
    assert set(NOT_SET_IN_A_MANAGED_IDENTITY_DEPLOYMENT) <= set(READ_BY_CODE)
    assert not set(NOT_SET_IN_A_MANAGED_IDENTITY_DEPLOYMENT) & SANDBOX_ONLY_SETTINGS
