"""An azd variable that is unset (or set to "") never overrides a parameter's default.

azd before 1.15 passed an unset `${NAME}` as "" and ARM used it over the Bicep default: "" then failed
GOTO_SCIM_DIALECT's @allowed and STATE_TABLE_PREFIX's @minLength, and GRAPH_BASE_URL or SYNC_SCHEDULE
silently became empty. Two layers keep every default now, each checked here on the parsed files:
main.parameters.json gives it as `${NAME=default}` (azd substitutes with drone/envsubst, where `=`
takes the default for an unset *or* empty variable), and main.bicep accepts "" for every string
parameter with a default and uses it only as `empty(p) ? default : p`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.infra.bicep import INFRA, Node, Template, decorators, parse_file

PARAMETERS_FILE = INFRA / "main.parameters.json"
AZD_EXPRESSION = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:=(?P<default>[^}]*))?\}$")


def parameters_file() -> dict[str, str]:
    return {
        name: entry["value"] for name, entry in json.loads(PARAMETERS_FILE.read_text())["parameters"].items()
    }


def substitute(expression: str, env: dict[str, str]) -> str:
    """What azd makes of `${NAME}` and `${NAME=default}` (the only two forms the file may use)."""
    match = AZD_EXPRESSION.match(expression)
    assert match, f"{expression!r}: expected ${{NAME}} or ${{NAME=default}}"
    value = env.get(match.group("name"), "")
    return value if value or match.group("default") is None else match.group("default")


def default_text(entry: dict[str, Any]) -> str:
    """A Bicep default as the string azd must pass for it."""
    value = entry["default"]
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def with_defaults(main: Template) -> dict[str, dict[str, Any]]:
    return {name: e for name, e in main.section("parameters").items() if e.get("default") is not None}


def violations(value: str, entry: dict[str, Any]) -> list[str]:
    """What ARM's parameter check would refuse in `value` (the decorators this template uses)."""
    checks = decorators(entry)
    found: list[str] = []
    typed: Any = value
    if entry["type"] == "int":
        if not re.fullmatch(r"-?\d+", value):
            return [f"{value!r} is not an int"]
        typed = int(value)
    elif entry["type"] == "bool":
        if value not in ("true", "false"):
            return [f"{value!r} is not a bool"]
        typed = value == "true"
    if "allowed" in checks and typed not in checks["allowed"]:
        found.append(f"{value!r} not in @allowed {checks['allowed']}")
    if "min_length" in checks and len(value) < checks["min_length"]:
        found.append(f"{value!r} shorter than @minLength({checks['min_length']})")
    if "max_length" in checks and len(value) > checks["max_length"]:
        found.append(f"{value!r} longer than @maxLength({checks['max_length']})")
    if "min_value" in checks and typed < checks["min_value"]:
        found.append(f"{value!r} below @minValue({checks['min_value']})")
    if "max_value" in checks and typed > checks["max_value"]:
        found.append(f"{value!r} above @maxValue({checks['max_value']})")
    return found


def test_an_unset_or_empty_variable_gives_each_parameter_its_bicep_default(main: Template) -> None:
    fed = parameters_file()
    defaulted = with_defaults(main)
    assert len(defaulted) >= 20
    for name, entry in defaulted.items():
        variable = AZD_EXPRESSION.match(fed[name]).group("name")  # type: ignore[union-attr]
        for env in ({}, {variable: ""}):
            assert substitute(fed[name], env) == default_text(entry), (
                f"{name}: with {variable} {'unset' if not env else 'empty'}, azd passes "
                f"{substitute(fed[name], env)!r}, not the default {default_text(entry)!r}: "
                f"write ${{{variable}={default_text(entry)}}}"
            )


def test_what_azd_passes_for_an_unset_variable_passes_every_parameter_check(main: Template) -> None:
    fed = parameters_file()
    for name, entry in with_defaults(main).items():
        assert violations(substitute(fed[name], {}), entry) == [], name
        assert violations(default_text(entry), entry) == [], f"{name}: its own default fails its checks"


def test_every_string_parameter_with_a_default_accepts_the_empty_string(main: Template) -> None:
    """What an azd before 1.15 (or an `az deployment` with an empty value) passes must not fail."""
    strings = {n: e for n, e in with_defaults(main).items() if e["type"] == "string"}
    assert {"gotoScimDialect", "stateTablePrefix", "graphBaseUrl", "syncSchedule"} <= set(strings)
    assert {name: violations("", entry) for name, entry in strings.items()} == {n: [] for n in strings}


def uses(node: Node, name: str, default: str) -> tuple[int, list[str]]:
    """(uses of parameter `name` as `empty(name) ? default : name`, every other use, rendered)."""
    if isinstance(node, str):
        bare = node == name or re.search(rf"\$\{{[^}}]*\b{re.escape(name)}\b", node)
        return 0, [node] if bare else []
    if isinstance(node, list):
        results = [uses(item, name, default) for item in node]
        return sum(r[0] for r in results), [u for r in results for u in r[1]]
    if not isinstance(node, dict):
        return 0, []
    operands = node.get("operator", {}).get("operands", {})
    if node.get("operator", {}).get("type") == "conditional":
        condition = operands["condition"]
        if (
            condition == {"function": {"type": "empty", "parameters": {"item_to_test": name}}}
            and operands["true_value"] == default
            and operands["false_value"] == name
        ):
            return 1, []
    results = [uses(value, name, default) for value in node.values()]
    return sum(r[0] for r in results), [u for r in results for u in r[1]]


def unguarded(template: dict[str, Any]) -> dict[str, list[str]]:
    """String parameters with a non-empty default that are used other than through their default."""
    found: dict[str, list[str]] = {}
    body = {key: value for key, value in template.items() if key != "parameters"}
    for name, entry in template["parameters"].items():
        if entry["type"] != "string" or not entry.get("default"):
            continue
        guarded, other = uses(body, name, entry["default"])
        if other or not guarded:
            found[name] = other or ["never used"]
    return found


def test_each_string_parameter_with_a_default_is_used_as_empty_p_default_p(main: Template) -> None:
    assert unguarded(main.json) == {}


def test_the_check_finds_a_parameter_used_without_its_default(tmp_path: Path) -> None:
    text = (INFRA / "main.bicep").read_text()
    guarded = "GRAPH_BASE_URL: empty(graphBaseUrl) ? 'https://graph.microsoft.com/v1.0' : graphBaseUrl"
    assert guarded in text
    mutant = tmp_path / "main.bicep"
    mutant.write_text(
        text.replace(guarded, "GRAPH_BASE_URL: graphBaseUrl").replace(
            "'https://${functionApp.outputs.defaultHostName}'",
            "'https://${functionApp.outputs.defaultHostName}?g=${syncSchedule}'",
        )
    )
    assert unguarded(parse_file(mutant)) == {
        "graphBaseUrl": ["graphBaseUrl"],
        "syncSchedule": ["https://${functionApp.outputs.defaultHostName}?g=${syncSchedule}"],
    }
