"""The Function app: Flex Consumption, Linux, Python 3.11; HTTPS only, TLS 1.2 at least, FTP and
basic-auth publishing off (through the publishing policies: Flex rejects `ftpsState`, see
test_flex_rejected_keys.py)."""

from __future__ import annotations

from tests.infra.bicep import Template, render


def test_https_only_tls12(modules: dict[str, Template]) -> None:
    (site,) = modules["functionApp"].resources_of_type("Microsoft.Web/sites").values()
    assert site["properties"]["httpsOnly"] is True
    config = site["properties"]["siteConfig"]
    assert config["minTlsVersion"] == "1.2"
    assert config["scmMinTlsVersion"] == "1.2"


def test_basic_auth_publishing_is_off_for_ftp_and_scm(modules: dict[str, Template]) -> None:
    policies = modules["functionApp"].resources_of_type(
        "Microsoft.Web/sites/basicPublishingCredentialsPolicies"
    )
    assert {policy["name"]: policy["properties"]["allow"] for policy in policies.values()} == {
        "ftp": False,
        "scm": False,
    }


def test_flex_consumption_linux_python_311(main: Template, modules: dict[str, Template]) -> None:
    function = modules["functionApp"]
    (plan,) = function.resources_of_type("Microsoft.Web/serverfarms").values()
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert plan["properties"]["reserved"] is True  # Linux
    (site,) = function.resources_of_type("Microsoft.Web/sites").values()
    assert site["kind"] == "functionapp,linux"
    assert site["properties"]["functionAppConfig"]["runtime"] == {
        "name": "python",
        "version": "pythonVersion",
    }
    assert main.module("functionApp")["config"]["params"]["pythonVersion"] == "3.11"


def test_the_app_is_tagged_for_azd(main: Template, modules: dict[str, Template]) -> None:
    (site,) = modules["functionApp"].resources_of_type("Microsoft.Web/sites").values()
    assert render(site["tags"]) == "union(tags, {'azd-service-name': serviceName})"
