"""Error answers of the GoTo simulator: status, SCIM error body, scimType, and the 401 challenge."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.goto import GoToSimulator
from tests.fixtures.goto_sim import http_client

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(autouse=True)
def _unthrottled(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1000)


def assert_scim_error(response: httpx.Response, status: int, scim_type: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_duplicate_username_is_409_uniqueness_ignoring_case(goto_http: httpx.Client) -> None:
    assert goto_http.post("/Users", json={"userName": "carol@contoso.com"}).status_code == 201

    response = goto_http.post("/Users", json={"userName": "Carol@Contoso.COM"})

    body = assert_scim_error(response, 409, "uniqueness")
    assert "Carol@Contoso.COM" in body["detail"]


def test_an_email_already_used_by_another_user_is_409(goto_http: httpx.Client) -> None:
    goto_http.post("/Users", json={"userName": "dave@contoso.com"})

    response = goto_http.post(
        "/Users", json={"userName": "david", "emails": [{"type": "work", "value": "DAVE@contoso.com"}]}
    )

    assert_scim_error(response, 409, "uniqueness")


def test_renaming_onto_a_taken_username_is_409(goto_http: httpx.Client) -> None:
    goto_http.post("/Users", json={"userName": "erin@contoso.com"})
    frank = goto_http.post("/Users", json={"userName": "frank@contoso.com"}).json()

    response = goto_http.put(f"/Users/{frank['id']}", json={"userName": "erin@contoso.com"})

    assert_scim_error(response, 409, "uniqueness")
    assert goto_http.get(f"/Users/{frank['id']}").json()["userName"] == "frank@contoso.com"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/Users/1234"),
        ("PUT", "/Users/1234"),
        ("PATCH", "/Users/1234"),
        ("DELETE", "/Users/1234"),
        ("GET", "/Groups/1234"),
        ("DELETE", "/Groups/1234"),
    ],
)
def test_unknown_ids_are_404_with_a_scim_error(goto_http: httpx.Client, method: str, path: str) -> None:
    body: dict[str, Any] | None = None
    if method == "PUT":
        body = {"userName": "x@contoso.com"}
    if method == "PATCH":
        body = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    response = goto_http.request(method, path, json=body)

    assert_scim_error(response, 404, None)


@pytest.mark.parametrize(
    "user",
    [
        {"name": {"givenName": "No", "familyName": "Username"}},
        {"userName": ""},
        {"userName": 42},
        {"userName": "a" * 117 + "@contoso.com"},  # 129 characters
        {"userName": "g@contoso.com", "name": {"givenName": "g" * 61}},
        {"userName": "h@contoso.com", "name": {"familyName": "h" * 61}},
        {"userName": "i@contoso.com", "active": "maybe"},
        {"userName": "j@contoso.com", "emails": "j@contoso.com"},
    ],
)
def test_invalid_users_are_400_invalid_value(goto_http: httpx.Client, user: dict[str, Any]) -> None:
    assert_scim_error(goto_http.post("/Users", json=user), 400, "invalidValue")


def test_limits_are_inclusive(goto_http: httpx.Client) -> None:
    user_name = "a" * 116 + "@contoso.com"
    assert len(user_name) == 128
    user = {"userName": user_name, "name": {"givenName": "g" * 60, "familyName": "f" * 60}}

    assert goto_http.post("/Users", json=user).status_code == 201


def test_malformed_json_is_400_invalid_syntax(goto_http: httpx.Client) -> None:
    response = goto_http.post(
        "/Users", content=b'{"userName": "k@contoso.com",', headers={"Content-Type": "application/scim+json"}
    )

    assert_scim_error(response, 400, "invalidSyntax")


def test_a_json_array_is_not_a_user(goto_http: httpx.Client) -> None:
    assert_scim_error(goto_http.post("/Users", json=[{"userName": "l@contoso.com"}]), 400, "invalidSyntax")


def test_plain_json_media_type_is_accepted_and_others_refused(goto_http: httpx.Client) -> None:
    ok = goto_http.post(
        "/Users", content=b'{"userName": "m@contoso.com"}', headers={"Content-Type": "application/json"}
    )
    assert ok.status_code == 201

    refused = goto_http.post(
        "/Users", content=b'{"userName": "n@contoso.com"}', headers={"Content-Type": "text/plain"}
    )
    assert_scim_error(refused, 415, None)


def ops(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


@pytest.mark.parametrize(
    ("patch", "scim_type"),
    [
        ({"Operations": [{"op": "replace", "path": "active", "value": False}]}, "invalidSyntax"),
        (ops(), "invalidSyntax"),
        (ops({"op": "merge", "path": "active", "value": False}), "invalidSyntax"),
        (ops({"op": "replace", "path": "active"}), "invalidSyntax"),
        (ops({"op": "replace", "value": False}), "invalidSyntax"),
        (ops({"op": "remove"}), "noTarget"),
        (ops({"op": "replace", "path": "emails[", "value": 1}), "invalidPath"),
        (ops({"op": "replace", "path": "urn:x:y:z", "value": 1}), "invalidPath"),
        (ops({"op": "replace", "path": "id", "value": "7"}), "mutability"),
        (ops({"op": "replace", "path": "userName", "value": ""}), "invalidValue"),
    ],
)
def test_bad_patch_ops_are_400_and_change_nothing(
    goto_http: httpx.Client, patch: dict[str, Any], scim_type: str
) -> None:
    user = goto_http.post("/Users", json={"userName": "o@contoso.com"}).json()

    assert_scim_error(goto_http.patch(f"/Users/{user['id']}", json=patch), 400, scim_type)
    assert goto_http.get(f"/Users/{user['id']}").json() == user


def test_a_failing_operation_rolls_back_the_earlier_ones(goto_http: httpx.Client) -> None:
    user = goto_http.post("/Users", json={"userName": "p@contoso.com"}).json()
    patch = {
        "schemas": [PATCH],
        "Operations": [
            {"op": "replace", "path": "active", "value": False},
            {"op": "replace", "path": "name.givenName", "value": "x" * 61},
        ],
    }

    assert_scim_error(goto_http.patch(f"/Users/{user['id']}", json=patch), 400, "invalidValue")
    assert goto_http.get(f"/Users/{user['id']}").json()["active"] is True


def test_unknown_endpoint_and_method_are_scim_errors(goto_http: httpx.Client) -> None:
    assert_scim_error(goto_http.get("/Licenses"), 404, None)
    assert_scim_error(goto_http.delete("/Users"), 405, None)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic c2FuZGJveDpzYW5kYm94", "Bearer", "sandbox-goto-token"],
)
def test_missing_or_invalid_token_is_401_with_bearer_challenge(
    goto_sim: GoToSimulator, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    with http_client(goto_sim.scim_base_url) as client:
        response = client.get("/Users", headers=headers)

    body = assert_scim_error(response, 401, None)
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert body["detail"].startswith("invalid_token")


def test_401_body_can_be_empty_like_goto_is_said_to_answer(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(unauthorized_body="empty")

    with http_client(goto_sim.scim_base_url) as client:
        response = client.get("/Users/me")

    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_unknown_paths_still_need_a_token(goto_sim: GoToSimulator) -> None:
    with http_client(goto_sim.scim_base_url) as client:
        assert client.get("/Licenses").status_code == 401
