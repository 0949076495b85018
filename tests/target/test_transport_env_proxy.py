"""httpx honours HTTP(S)_PROXY / NO_PROXY only with its default transport, so GoTo's client keeps
that transport when the environment routes GoTo's URL through a proxy (proxied_by_environment)."""

from __future__ import annotations

import pytest

from provisioning.target.transport import proxied_by_environment

GOTO = "https://api.getgo.com/identity/v1/"
PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_no_proxy_variables() -> None:
    assert proxied_by_environment(GOTO) is False


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_a_proxy_for_the_scheme(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "http://proxy.internal:3128")
    assert proxied_by_environment(GOTO) is True


def test_a_proxy_for_another_scheme_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    assert proxied_by_environment(GOTO) is False


def test_no_proxy_exempts_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,.getgo.com")
    assert proxied_by_environment(GOTO) is False
