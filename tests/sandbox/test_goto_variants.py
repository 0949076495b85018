"""Each GoTo variant seen in public clients (goto.md, "Live behaviour") is one simulator setting,
off by default; on, the simulator answers as that variant does."""

from __future__ import annotations

import httpx
import pytest

from sandbox.goto import GoToSimulator

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _user(sim: GoToSimulator, name: str) -> str:
    return str(sim.store.create_user({"userName": f"{name}@contoso.com"})["id"])


def test_every_variant_is_off_by_default(goto_sim: GoToSimulator) -> None:
    config = goto_sim.config()
    assert {
        k: config[k] for k in ("list_key", "ignore_start_index", "ignore_filter", "invalid_token_status")
    } == {
        "list_key": "Resources",
        "ignore_start_index": False,
        "ignore_filter": False,
        "invalid_token_status": 401,
    }
    assert (
        config["error_body"],
        config["delete_answer"],
        config["missing_group_status"],
        config["patch_format"],
    ) == (
        "scim",
        "no_content",
        404,
        "patchop",
    )


def test_lists_under_lower_case_resources(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    goto_sim.configure(list_key="resources")
    body = goto_http.get("/Users").json()
    assert "Resources" not in body and body["resources"][0]["userName"] == "admin@contoso.com"


def test_start_index_ignored(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    for n in range(3):
        _user(goto_sim, f"u{n}")
    goto_sim.configure(ignore_start_index=True)
    first = goto_http.get("/Users", params={"startIndex": 1, "count": 2}).json()["Resources"]
    third = goto_http.get("/Users", params={"startIndex": 3, "count": 2}).json()["Resources"]
    assert [u["id"] for u in first] == [u["id"] for u in third]


def test_filter_ignored(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    _user(goto_sim, "ann")
    goto_sim.configure(ignore_filter=True)
    body = goto_http.get("/Users", params={"filter": 'userName eq "nobody@contoso.com"'}).json()
    assert body["totalResults"] == 2  # the admin and ann


def test_invalid_token_answered_403(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    goto_sim.configure(invalid_token_status=403)
    response = goto_http.get("/Users", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 403 and response.json()["detail"] == "Invalid token passed"


def test_non_scim_error_bodies(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    goto_sim.configure(error_body="goto_json")
    response = goto_http.get("/Users", headers={"Authorization": "Bearer nope"})
    assert (response.status_code, response.json()) == (401, {"code": "not.authorized", "uri": "/v1/Users"})
    assert goto_http.get("/Users/123").json() == {"code": "not.found", "uri": "/v1/Users/123"}


def test_delete_answers_200_with_the_user(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    user_id = _user(goto_sim, "bob")
    goto_sim.configure(delete_answer="ok_with_body")
    response = goto_http.delete(f"/Users/{user_id}")
    assert response.status_code == 200 and response.json()["id"] == user_id
    assert goto_http.get(f"/Users/{user_id}").status_code == 404


def test_a_missing_group_answers_401(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    goto_sim.configure(missing_group_status=401)
    assert goto_http.get("/Groups/4242").status_code == 401
    assert goto_http.delete("/Groups/4242").status_code == 401


def test_patch_takes_a_partial_user_not_a_patchop(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    user_id = _user(goto_sim, "cat")
    goto_sim.configure(patch_format="partial_json")
    assert goto_http.get("/ServiceProviderConfigs").json()["patch"] == {"supported": False}
    patch_op = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    refused = goto_http.patch(f"/Users/{user_id}", json=patch_op)
    assert refused.status_code == 400 and refused.json()["scimType"] == "invalidSyntax"
    taken = goto_http.patch(f"/Users/{user_id}", json={"displayName": "Cat", "active": False})
    assert taken.status_code == 200 and (taken.json()["displayName"], taken.json()["active"]) == (
        "Cat",
        False,
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("list_key", "items"),
        ("invalid_token_status", 500),
        ("ignore_filter", "yes"),
        ("patch_format", "json"),
    ],
)
def test_a_bad_variant_value_is_refused_naming_the_setting(
    goto_sim: GoToSimulator, key: str, value: object
) -> None:
    with pytest.raises(ValueError, match=key):
        goto_sim.configure(**{key: value})
