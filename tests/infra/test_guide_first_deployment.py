"""The guide's first deployment goes through on the first try or says what to do: a preview before
the first `azd up` (azd's own Bicep CLI, nothing created), and the 403 that a brand-new environment
can hit while its role assignments propagate, which a rerun fixes."""

from __future__ import annotations

from tests.infra.guide import blocks, guide_text


def section(heading: str) -> str:
    text = guide_text()
    start = text.index(f"\n{heading}")
    end = text.index("\n### ", start + 1)
    return text[start:end]


def test_azd_provision_preview_runs_before_the_first_azd_up() -> None:
    deploy = [b for b in blocks() if "azd up" in b.body.splitlines()]
    first = deploy[0].body.splitlines()
    assert "azd provision --preview" in first
    assert first.index("azd provision --preview") < first.index("azd up")
    text = " ".join(section("### 3.3 Provision and deploy").split())
    assert "azd's own Bicep CLI" in text and "changing nothing" in text


def test_the_403_of_a_brand_new_environment_is_explained_with_its_fix() -> None:
    text = " ".join(section("### 3.3 Provision and deploy").split())
    assert "A 403 on a brand-new environment." in text
    assert "role assignment" in text and "run `azd up` again" in text
