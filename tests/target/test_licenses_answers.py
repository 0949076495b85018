"""GoToLicenses reading answers the simulator never gives (httpx.MockTransport stands in for a GoTo
that differs): userCount missing, no getgo extension on /Users/me, a 409 that is not about seats,
an unpaged list."""

from __future__ import annotations

import json

import httpx
import pytest

from provisioning.errors import ConflictError, LicenseSeatsError, TargetError
from provisioning.target import ScimClient
from provisioning.target.licenses import GoToLicenses, License, parse_license
from tests.target.conftest import fast_throttle

ADMIN = "https://admin.example/admin/rest/v1"


def test_user_count_falls_back_to_user_keys_and_a_key_is_required() -> None:
    parsed = parse_license({"key": 7, "userKeys": ["a", "b"], "products": ["G2M"], "seats": 5})

    assert parsed == License(key="7", products=("G2M",), seats=5, users=2, enabled=True)
    assert parse_license({"key": "x", "enabled": False, "seats": "many"}).seats is None
    with pytest.raises(ValueError, match="key"):
        parse_license({"seats": 1})


def _client(handler: httpx.MockTransport) -> GoToLicenses:
    http = httpx.AsyncClient(transport=handler, base_url="https://scim.example/identity/v1/")
    return GoToLicenses(
        http, base_url=ADMIN, scim=ScimClient(http, throttle=fast_throttle()), throttle=fast_throttle()
    )


async def test_the_account_key_falls_back_to_the_admin_me() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("/Users/me"):
            return httpx.Response(200, json={"id": "1", "userName": "admin@contoso.com"})
        return httpx.Response(200, json={"accountKey": 42})

    assert await _client(httpx.MockTransport(answer)).get_account_key() == "42"
    assert seen == ["/identity/v1/Users/me", "/admin/rest/v1/me"]


async def test_no_account_key_anywhere_is_a_target_error_naming_both() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "1"})

    with pytest.raises(TargetError, match=r"accounts\[0\]\.value.*accountKey"):
        await _client(httpx.MockTransport(answer)).get_account_key()


def _with_account(write: httpx.Response) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Users/me"):
            me = {"id": "1", "urn:scim:schemas:extension:getgo:1.0": {"accounts": [{"value": "9"}]}}
            return httpx.Response(200, json=me)
        return write

    return httpx.MockTransport(answer)


async def test_a_409_about_something_else_stays_a_conflict() -> None:
    refused = httpx.Response(409, json={"errorCode": "CONFLICT", "message": "user is being migrated"})

    with pytest.raises(ConflictError) as caught:
        await _client(_with_account(refused)).set_user_licenses("u1", want=["L1"], have=())

    assert not isinstance(caught.value, LicenseSeatsError)


async def test_a_seats_409_without_the_code_is_read_from_its_words() -> None:
    refused = httpx.Response(409, content=json.dumps({"message": "No seats left"}).encode())

    with pytest.raises(LicenseSeatsError, match=r"license L1, L2 has no free seat for user u1"):
        await _client(_with_account(refused)).set_user_licenses("u1", want=["L2", "L1"], have=())


async def test_an_answer_without_results_is_a_target_error() -> None:
    with pytest.raises(TargetError, match="results"):
        await _client(_with_account(httpx.Response(200, json={"licenses": []}))).list_licenses()


async def test_a_bare_list_answer_is_read_as_one_page() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/Users/me"):
            return httpx.Response(
                200, json={"id": "1", "urn:scim:schemas:extension:getgo:1.0": {"accounts": [{"value": "9"}]}}
            )
        return httpx.Response(200, json=[{"key": "L1"}])

    found = await _client(httpx.MockTransport(answer)).list_licenses()

    assert [lic.key for lic in found] == ["L1"] and calls.count("/admin/rest/v1/accounts/9/licenses") == 1


async def test_the_seats_error_names_the_license_the_answer_names_not_a_longer_one() -> None:
    refused = httpx.Response(
        409, json={"errorCode": "NO_SEATS_AVAILABLE", "message": "license L10 has no free seat"}
    )

    with pytest.raises(LicenseSeatsError) as caught:
        await _client(_with_account(refused)).set_user_licenses("u1", want=["L1", "L10"], have=())

    assert str(caught.value).startswith("license L10 has no free seat for user u1")
