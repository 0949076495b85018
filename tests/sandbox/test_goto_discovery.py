"""Discovery endpoints: ServiceProviderConfig (and GoTo's plural alias) and Schemas."""

from __future__ import annotations

import httpx
import pytest

GETGO = "urn:scim:schemas:extension:getgo:1.0"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/ServiceProviderConfigs"])
def test_service_provider_config(goto_http: httpx.Client, path: str) -> None:
    response = goto_http.get(path)

    assert response.status_code == 200
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert body["patch"] == {"supported": True}
    assert body["bulk"]["supported"] is False
    assert body["filter"] == {"supported": True, "maxResults": 100}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_schemas_list_and_lookup(goto_http: httpx.Client) -> None:
    listed = goto_http.get("/Schemas").json()
    ids = [s["id"] for s in listed["Resources"]]
    assert USER in ids and GETGO in ids and listed["totalResults"] == len(ids) == 4

    by_urn = goto_http.get(f"/Schemas/{USER}").json()
    by_alias = goto_http.get("/Schemas/Users").json()
    assert by_urn == by_alias
    user_name = next(a for a in by_urn["attributes"] if a["name"] == "userName")
    assert user_name["required"] is True and user_name["uniqueness"] == "server"

    missing = goto_http.get("/Schemas/urn:nope")
    assert missing.status_code == 404
