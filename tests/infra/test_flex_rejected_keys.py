"""No site property or app setting that Flex Consumption refuses: ARM accepts the template and the
deployment fails (ARM error 51021 for `siteConfig.ftpsState`, in the regions that enforce it), so no
offline tool but this one sees it. The keys are those of the Dedicated and Consumption plans that the
Flex Consumption docs list as unsupported; runtime, version and package come from functionAppConfig."""

from __future__ import annotations

from typing import Any

from tests.infra.bicep import INFRA, Node, Template, parse_file, site_app_settings

FLEX_REJECTED_SITE_KEYS = frozenset(
    {
        "ftpsState",
        "alwaysOn",
        "linuxFxVersion",
        "use32BitWorkerProcess",
        "preWarmedInstanceCount",
        "functionAppScaleLimit",
        "netFrameworkVersion",
        "functionsRuntimeScaleMonitoringEnabled",
    }
)
FLEX_REJECTED_SETTINGS = frozenset(
    {"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE"}
)


def rejected_keys(node: Node, path: str = "") -> list[str]:
    """Every key anywhere under `node` that Flex refuses, with where it is (`properties.siteConfig.x`)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key in FLEX_REJECTED_SITE_KEYS:
                found.append(where)
            found += rejected_keys(value, where)
    elif isinstance(node, list):
        for item in node:
            found += rejected_keys(item, path)
    return found


def flex_sites(template: Template) -> dict[str, dict[str, Any]]:
    return template.resources_of_type("Microsoft.Web/sites")


def test_the_flex_site_sets_no_property_flex_rejects(modules: dict[str, Template]) -> None:
    function = modules["functionApp"]
    (plan,) = function.resources_of_type("Microsoft.Web/serverfarms").values()
    assert plan["sku"]["tier"] == "FlexConsumption"  # what makes these keys fatal
    sites = flex_sites(function)
    assert sites, "no Microsoft.Web/sites: the check would prove nothing"
    assert {symbol: rejected_keys(site) for symbol, site in sites.items()} == {s: [] for s in sites}


def test_no_app_setting_flex_rejects(main: Template, modules: dict[str, Template]) -> None:
    product, platform = site_app_settings(main, modules["functionApp"])
    assert platform and product
    assert sorted((set(product) | set(platform)) & FLEX_REJECTED_SETTINGS) == []


def test_the_check_finds_a_rejected_key_wherever_it_is_written(tmp_path: Any) -> None:
    """The same module with `ftpsState` put back, and `alwaysOn` nested one level down: both found."""
    text = (INFRA / "modules" / "function.bicep").read_text()
    needle = "      minTlsVersion: '1.2'\n"
    assert needle in text
    mutant = tmp_path / "function.bicep"
    mutant.write_text(
        text.replace(needle, needle + "      ftpsState: 'Disabled'\n      alwaysOn: false\n", 1)
    )
    (site,) = flex_sites(Template(mutant, parse_file(mutant))).values()
    assert sorted(rejected_keys(site)) == [
        "properties.siteConfig.alwaysOn",
        "properties.siteConfig.ftpsState",
    ]
