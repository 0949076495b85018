"""sandbox.demo.FunctionHost checks the function key as the Functions host does (header or ?code=),
leaves the anonymous page open and answers 405 for a wrong method: the browser test relies on it
to show the page sends the key."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.demo import serving
from sandbox.world import World
from tests.dashboard.conftest import FAST


def test_function_host_refuses_a_missing_key(world: World, functions: dict[str, Any]) -> None:
    with serving(world, functions=functions.values(), overrides=FAST) as host:
        status = f"{host.url}/api/status"
        assert httpx.get(status).status_code == 401
        assert httpx.get(status, headers={"x-functions-key": "wrong"}).status_code == 401
        assert httpx.get(status, headers={"x-functions-key": host.key}).status_code == 200
        assert httpx.get(status, params={"code": host.key}).status_code == 200
        assert httpx.get(f"{host.url}/api/dashboard").status_code == 401  # the page needs the key
        page = httpx.get(f"{host.url}/api/dashboard", params={"code": host.key})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert httpx.get(f"{host.url}/api/dashboard/app.js").status_code == 200  # no data: anonymous
        assert httpx.post(status, headers={"x-functions-key": host.key}).status_code == 405
        assert httpx.get(f"{host.url}/api/nothing-here").status_code == 404
