"""ScimWire keeps each path's absolute URL instead of handing httpx the relative path every time:
the URL a request goes to is the one httpx would have merged from the client's base URL (trailing
slash or not, escapes, a query in the path, params added, an absolute path), and a client whose
base URL is changed gets URLs on the new base."""

from __future__ import annotations

import httpx
import pytest

from provisioning.target.wire import ScimWire

BASES = [
    "https://api.getgo.com/identity/v1/",
    "https://api.getgo.com/identity/v1",
    "http://127.0.0.1:8080/scim/",
]
PATHS = [
    "Users",
    "Users/a%2Fb",
    "Groups/x y",
    "Users?x=1",
    "/Users",
    "Users/me",
    "Users/ü",
    "https://other.example/x",
]


class Wire(ScimWire):
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("path", PATHS)
def test_same_url_as_httpx_merges(base: str, path: str) -> None:
    client = httpx.AsyncClient(base_url=base)
    wire = Wire(client)
    for _ in range(2):  # computed, then kept
        params: dict[str, str | int] = {"filter": 'userName eq "a b"', "count": 10}
        assert str(client.build_request("GET", wire._url(path)).url) == str(
            client.build_request("GET", path).url
        )
        kept = client.build_request("GET", wire._url(path), params=params).url
        assert str(kept) == str(client.build_request("GET", path, params=params).url)


def test_a_new_base_url_is_followed() -> None:
    client = httpx.AsyncClient(base_url="https://one.example/scim/")
    wire = Wire(client)
    assert str(wire._url("Users")) == "https://one.example/scim/Users"
    client.base_url = httpx.URL("https://two.example/v2/")
    assert str(wire._url("Users")) == "https://two.example/v2/Users"
