"""Parameters: each says what it is for (@description); azd can feed every main.bicep parameter from
main.parameters.json, and each product setting's parameter from the azd variable of the same name."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.infra.bicep import INFRA, Template, decorators, render

PARAMETERS_FILE = INFRA / "main.parameters.json"
# ${NAME}, or ${NAME=default} where the parameter has a default (test_empty_parameters.py)
AZD_VARIABLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:=[^}]*)?\}$")


def parameters_file() -> dict[str, Any]:
    return dict(json.loads(PARAMETERS_FILE.read_text())["parameters"])


def test_every_parameter_of_every_file_has_a_description(templates: dict[str, Template]) -> None:
    missing = [
        f"{path}: {name}"
        for path, template in templates.items()
        for name, entry in template.section("parameters").items()
        if not (decorators(entry).get("description") or "").strip()
    ]
    assert missing == []


def test_the_parameters_file_covers_main_and_nothing_else(main: Template) -> None:
    declared = set(main.section("parameters"))
    fed = parameters_file()
    assert set(fed) == declared
    for name, entry in fed.items():
        assert AZD_VARIABLE.match(entry["value"]), f"{name}: expected an azd variable like ${{NAME=default}}"


def test_a_product_setting_is_fed_by_the_azd_variable_of_its_name(main: Template) -> None:
    """`azd env set DRY_RUN true` sets DRY_RUN: one name for the admin, the template and the app."""
    fed = {name: AZD_VARIABLE.match(entry["value"]).group(1) for name, entry in parameters_file().items()}  # type: ignore[union-attr]
    parameters = set(main.section("parameters"))
    checked = 0
    for setting, value in main.variable("appSettings").items():
        text = render(value)
        direct = re.fullmatch(r"(\w+)|string\((\w+)\)|(\w+) \? true : false|empty\((\w+)\) \? .* : \4", text)
        name = next((group for group in direct.groups() if group), None) if direct else None
        if name in parameters:
            assert fed[name] == setting, f"{setting} comes from parameter {name}, fed by ${{{fed[name]}}}"
            checked += 1
    assert checked >= 10


def test_required_parameters_are_the_ones_azd_must_ask_for(main: Template) -> None:
    required = {name for name, entry in main.section("parameters").items() if entry.get("default") is None}
    assert required == {"environmentName", "location", "entraServicePrincipalId"}
