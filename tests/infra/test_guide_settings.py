"""The guide's settings table lists every setting the code reads, says truthfully whether azd, the
template or nobody sets it in Azure, and names every azd variable the parameters file reads."""

from __future__ import annotations

import json
import re

from provisioning.config import SANDBOX_ONLY_SETTINGS
from tests.infra.bicep import INFRA, Template, site_app_settings
from tests.infra.guide import code_spans, guide_text, table_after
from tests.infra.test_settings_drift import NOT_SET_IN_A_MANAGED_IDENTITY_DEPLOYMENT, READ_BY_CODE


def settings_rows() -> dict[str, str]:
    """setting -> its 'Set by' cell."""
    found: dict[str, str] = {}
    for row in table_after("## 4. Settings"):
        for name in code_spans(row[0]):
            found[name] = row[2]
    return found


def test_every_setting_the_code_reads_has_a_row() -> None:
    assert sorted(set(READ_BY_CODE) - set(settings_rows())) == []


def azd_variables() -> set[str]:
    fed = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    return {re.fullmatch(r"\$\{(\w+)(=[^}]*)?\}", entry["value"]).group(1) for entry in fed.values()}  # type: ignore[union-attr]


def test_set_by_says_what_the_template_does(main: Template, modules: dict[str, Template]) -> None:
    fed = azd_variables()
    product, _ = site_app_settings(main, modules["functionApp"])
    for name, set_by in settings_rows().items():
        if set_by == "never in Azure":
            assert name in SANDBOX_ONLY_SETTINGS | set(NOT_SET_IN_A_MANAGED_IDENTITY_DEPLOYMENT), name
            assert name not in product
        elif set_by.startswith("azd variable"):
            assert name in fed and name in product, name
        else:
            assert set_by == "template" and name in product and name not in fed, name


def test_every_azd_variable_of_the_parameters_file_is_documented() -> None:
    text = guide_text()
    for name in azd_variables():
        assert f"`{name}`" in text, f"the guide never mentions the azd variable {name}"


def test_the_guide_says_where_a_new_setting_goes() -> None:
    text = guide_text()
    assert "**one line** to the `appSettings` object in `infra/main.bicep`" in text
    assert "tests/infra/test_settings_drift.py" in text


def test_hard_delete_action_defaults_to_disable_and_the_guide_warns_what_delete_destroys(
    main: Template,
) -> None:
    entry = main.section("parameters")["hardDeleteAction"]
    assert entry["default"] == "disable"
    assert {d["type"]: d.get("argument") for d in entry["decorators"]}["allowed"] == ["", "disable", "delete"]
    (row,) = [row for row in table_after("## 4. Settings") if "`HARD_DELETE_ACTION`" in row[0]]
    assert row[1] == "`disable`" and row[2] == "azd variable"
    text = " ".join(guide_text().split())
    assert "**`HARD_DELETE_ACTION=delete` destroys data.**" in text
    assert "removes its meeting history with it and cannot be undone" in text
