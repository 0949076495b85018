"""azure.yaml makes `azd up` provision infra/main.bicep, grant the Graph permissions, and deploy
this repository as the Python Function app the template tags for it."""

from __future__ import annotations

import os
from typing import Any

import yaml

from tests.infra.bicep import ROOT, Template
from tests.infra.guide import guide_text


def azure_yaml() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "azure.yaml").read_text()))


def test_azd_provisions_main_bicep(main: Template) -> None:
    infra = azure_yaml()["infra"]
    assert infra == {"provider": "bicep", "path": "infra", "module": "main"}
    assert (ROOT / infra["path"] / f"{infra['module']}.bicep") == main.path


def test_azd_deploys_the_repository_as_the_python_function_the_template_tags(main: Template) -> None:
    services = azure_yaml()["services"]
    assert list(services) == ["api"]
    assert services["api"] == {"project": ".", "language": "python", "host": "function"}
    assert main.module("functionApp")["config"]["params"]["serviceName"] == "api"


def test_the_postprovision_hook_runs_the_graph_script_under_sh() -> None:
    hook = azure_yaml()["hooks"]["postprovision"]
    assert hook["shell"] == "sh"
    script = ROOT / hook["run"]
    assert script.is_file() and os.access(script, os.X_OK)
    assert script.read_text().startswith("#!/bin/sh\n")
    # a missing Graph admin must not stop the deployment: the script tells who must run it
    assert hook["continueOnError"] is True


def test_azd_refuses_to_run_older_than_the_version_the_guide_names() -> None:
    """azd checks `requiredVersions` itself and stops with the version to install."""
    required = azure_yaml()["requiredVersions"]
    assert required == {"azd": ">= 1.15.0"}
    assert "azd 1.15.0 or later" in guide_text()
