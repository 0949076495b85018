"""The Bicep templates as the offline checks see them: pycep-parser's JSON, plus helpers to read it.

No Bicep CLI can run here, so pycep-parser is the syntax check; every test of a security property
reads this JSON rather than grepping text, so a comment or a string never passes for a setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lark.exceptions import UnexpectedInput
from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = "main.bicep"

Node = Any  # pycep's JSON: dicts, lists, strings (identifiers and literals alike), numbers, booleans


class BicepSyntaxError(Exception):
    """A .bicep file pycep-parser cannot read; the message names the file, line and column."""


@dataclass(frozen=True)
class Template:
    path: Path
    json: dict[str, Any]

    def section(self, name: str) -> dict[str, Any]:
        return self.json.get(name) or {}

    def resource(self, symbol: str) -> dict[str, Any]:
        """A resource's body; for a conditional resource (`= if (...) {`) the body inside."""
        config = self.section("resources")[symbol]["config"]
        return dict(config["config"]) if "condition" in config else dict(config)

    def condition(self, symbol: str) -> Node:
        """The `if (...)` of a conditional resource, None for an unconditional one."""
        return self.section("resources")[symbol]["config"].get("condition")

    def resources_of_type(self, type_: str) -> dict[str, dict[str, Any]]:
        return {
            symbol: self.resource(symbol)
            for symbol, entry in self.section("resources").items()
            if entry["type"] == type_
        }

    def variable(self, name: str) -> Node:
        return self.section("variables")[name]["value"]

    def module(self, symbol: str) -> dict[str, Any]:
        return dict(self.section("modules")[symbol])


def parse_file(path: Path) -> dict[str, Any]:
    try:
        return dict(BicepParser().parse(text=path.read_text()))
    except UnexpectedInput as exc:
        where = f"{path}:{exc.line}:{exc.column}"
        raise BicepSyntaxError(f"{where}: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None


def parse_tree(root: Path) -> dict[str, Template]:
    """Every .bicep file under `root`, keyed by its path relative to `root`; all errors at once."""
    templates: dict[str, Template] = {}
    errors: list[str] = []
    files = sorted(root.rglob("*.bicep"))
    if not files:
        raise BicepSyntaxError(f"no .bicep file under {root}")
    for path in files:
        try:
            templates[path.relative_to(root).as_posix()] = Template(path, parse_file(path))
        except BicepSyntaxError as exc:
            errors.append(str(exc))
    if errors:
        raise BicepSyntaxError("\n".join(errors))
    return templates


def render(node: Node) -> str:
    """An expression back as Bicep-like text: `identity.outputs.clientId`, `string(n)`, `a ? 'x' : ''`.

    pycep gives identifiers and string literals alike as plain strings, so both render bare.
    """
    if isinstance(node, bool):
        return "true" if node else "false"
    if node is None:
        return "null"
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list):
        return "[" + ", ".join(render(item) for item in node) + "]"
    if "operator" in node:
        op = node["operator"]
        operands = op.get("operands", {})
        if op["type"] == "property_accessor":
            return f"{render(operands['operand_1'])}.{render(operands['operand_2'])}"
        if op["type"] == "conditional":
            return (
                f"{render(operands['condition'])} ? {render(operands['true_value'])}"
                f" : {render(operands['false_value'])}"
            )
        return f"{op['type']}(" + ", ".join(render(v) for v in operands.values()) + ")"
    if "function" in node:
        fn = node["function"]
        return f"{fn['type']}(" + ", ".join(render(v) for v in fn.get("parameters", {}).values()) + ")"
    return "{" + ", ".join(f"{key}: {render(value)}" for key, value in node.items()) + "}"


def decorators(entry: dict[str, Any]) -> dict[str, Any]:
    """A param's or output's decorators by type: {'description': '...', 'secure': None, ...}."""
    return {d["type"]: d.get("argument") for d in entry.get("decorators", [])}


def conditional_branches(node: Node) -> list[Node]:
    """The values a setting can take: both branches of `c ? a : b` (recursively), else the value."""
    if isinstance(node, dict) and node.get("operator", {}).get("type") == "conditional":
        operands = node["operator"]["operands"]
        return conditional_branches(operands["true_value"]) + conditional_branches(operands["false_value"])
    return [node]


def site_app_settings(main: Template, function: Template) -> tuple[dict[str, Node], dict[str, Node]]:
    """(product settings, host settings): what the site's `appsettings` config resource sets.

    Product settings are main.bicep's `appSettings` plus function.bicep's `siteSettings` (the ones
    that need the site's own host name); host settings are function.bicep's `platformSettings`.
    Asserts the wiring that makes these *the* app settings: main passes its `appSettings` to the
    function module, whose one `Microsoft.Web/sites/config` resource named appsettings (a child of
    the site) sets `union(platformSettings, appSettings, siteSettings)`, and the site itself sets none.
    """
    assert render(main.module("functionApp")["config"]["params"]["appSettings"]) == "appSettings"
    (site,) = function.resources_of_type("Microsoft.Web/sites").values()
    assert "appSettings" not in site["properties"].get("siteConfig", {}), (
        "app settings on the site as well as in sites/config: one write would undo the other"
    )
    (config,) = function.resources_of_type("Microsoft.Web/sites/config").values()
    (site_symbol,) = function.resources_of_type("Microsoft.Web/sites")
    assert config["parent"] == site_symbol and config["name"] == "appsettings"
    assert render(config["properties"]) == "union(platformSettings, appSettings, siteSettings)"
    product, platform = main.variable("appSettings"), function.variable("platformSettings")
    own = function.variable("siteSettings")
    assert isinstance(product, dict) and isinstance(platform, dict) and isinstance(own, dict)
    assert set(product).isdisjoint(own), "a setting set twice: union() would silently pick one"
    return {**product, **own}, platform
