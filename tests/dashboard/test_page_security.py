"""The page and its assets through the real Function app: a strict CSP on each, nothing loaded from
another origin, no inline script or style (the CSP would block them), and every file shipped as
package data (pyproject), so the deployed package serves what the tests serve."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path
from typing import Any

from provisioning.dashboard.handler import CSP
from tests.fixtures.functions import Caller

ROOT = Path(__file__).resolve().parents[2]


async def test_page_and_assets_carry_a_strict_csp(call: Caller) -> None:
    served: dict[str, tuple[str, str]] = {}
    for name in ("dashboard", "dashboard_script", "dashboard_style"):
        status, text = await call(name, method="GET")
        assert status == 200
        served[name] = (text, call.last_headers["Content-Security-Policy"])
        assert call.last_headers["X-Content-Type-Options"] == "nosniff"
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert {csp for _, csp in served.values()} == {CSP}

    page = served["dashboard"][0]
    assert re.findall(r"<script\b[^>]*>", page) == ['<script src="dashboard/app.js" defer>']
    assert "<style" not in page and " style=" not in page and not re.search(r"\son\w+=", page)
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert not re.match(r"(?:[a-z]+:)?//", url), url  # same origin only
    script = served["dashboard_script"][0]
    assert "innerHTML" not in script and "eval(" not in script and "x-functions-key" in script
    assert not re.search(r"https?://", script.replace("http://www.w3.org/2000/svg", ""))  # SVG's namespace


async def test_the_page_needs_no_key_and_takes_no_parameter(call: Caller) -> None:
    status, body = await call("dashboard", method="GET", params={"code": "x", "user": "y"})
    assert status == 400 and body["error"]["field"] == "user"


def test_every_asset_is_package_data() -> None:
    pyproject: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["provisioning.dashboard"]
    files = [p.name for p in (ROOT / "provisioning" / "dashboard").iterdir() if p.is_file()]
    assets = [f for f in files if not f.endswith((".py", ".pyc"))]
    assert sorted(assets) == ["app.css", "app.js", "page.html"]
    assert all(any(fnmatch.fnmatch(a, g) for g in globs) for a in assets), (assets, globs)
