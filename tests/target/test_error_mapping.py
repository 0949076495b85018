"""HTTP answers → the error hierarchy, and credentials never in messages or logs."""

from __future__ import annotations

import logging

import httpx
import pytest

from provisioning.errors import TargetError, TransientError, UnauthorizedError
from provisioning.target import RetryPolicy, ScimClient, ScimDialect, Throttle

BASE = "https://goto.test/identity/v1"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.secret-payload.signature"


def client_for(handler: httpx.MockTransport, *, attempts: int = 1) -> ScimClient:
    http = httpx.AsyncClient(transport=handler, base_url=BASE, headers={"Authorization": f"Bearer {TOKEN}"})
    retry = RetryPolicy(max_attempts=attempts, base_delay=0.0, max_delay=0.0)
    return ScimClient(
        http, dialect=ScimDialect.goto(), throttle=Throttle(rate_per_second=1000, burst=100, retry=retry)
    )


def echo(status: int) -> httpx.MockTransport:
    """A careless peer that echoes the request's credential in its error detail."""

    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers["Authorization"]
        return httpx.Response(
            status, json={"status": str(status), "detail": f"token {auth} rejected ({auth[7:]})"}
        )

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("status", [400, 401, 403, 409, 503])
async def test_an_echoed_token_is_redacted(status: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TargetError) as caught:
        await client_for(echo(status), attempts=2).create_user({"userName": "a"})
    assert TOKEN not in str(caught.value)
    assert caught.value.detail == "token [redacted] rejected ([redacted])"
    assert TOKEN not in caplog.text


async def test_a_bodiless_401_reports_the_www_authenticate_error() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    )
    with pytest.raises(UnauthorizedError) as caught:
        await client_for(transport).get_user("u1")
    assert caught.value.detail == "invalid_token"
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "error"), [(405, TargetError), (412, TargetError), (415, TargetError), (501, TargetError)]
)
async def test_other_statuses_are_plain_target_errors(status: int, error: type[TargetError]) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, text="nope"))
    with pytest.raises(error) as caught:
        await client_for(transport, attempts=3).get_user("u1")
    assert type(caught.value) is TargetError
    assert caught.value.status == status


async def test_a_success_without_a_resource_is_an_error() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(201, text="created"))
    with pytest.raises(TargetError, match="not JSON"):
        await client_for(transport).create_user({"userName": "a"})
    transport = httpx.MockTransport(lambda request: httpx.Response(201, json={"userName": "a"}))
    with pytest.raises(TargetError, match="without a resource"):
        await client_for(transport).create_user({"userName": "a"})


async def test_gateway_html_becomes_the_detail_of_a_transient_error() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(TransientError) as caught:
        await client_for(transport, attempts=2).get_user("u1")
    assert caught.value.detail == "<html>Bad Gateway</html>"


async def test_ids_are_escaped_into_the_path() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(404)

    assert await client_for(httpx.MockTransport(handler)).get_user("a/b?c") is None
    assert seen == ["/identity/v1/Users/a%2Fb%3Fc"]


@pytest.mark.parametrize(
    ("dialect", "answer", "expected"),
    [
        (
            ScimDialect.goto(),
            httpx.Response(200, json={"id": "u1", "active": False}),
            {"id": "u1", "active": False},
        ),
        (ScimDialect.goto(), httpx.Response(204), None),
        (ScimDialect.goto(), httpx.Response(200, text="OK"), None),
        (ScimDialect.goto(), httpx.Response(200, json={"result": "ok"}), None),
        (ScimDialect.rfc7644(), httpx.Response(200, json={"id": "u1", "active": False}), None),
    ],
    ids=["resource", "204", "not JSON", "not a resource", "body not read by a 204 dialect"],
)
async def test_a_successful_patch_never_fails_on_its_answer(
    dialect: ScimDialect, answer: httpx.Response, expected: dict[str, object] | None
) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answer), base_url=BASE)
    client = ScimClient(http, dialect=dialect, throttle=Throttle(rate_per_second=1000, burst=100))
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    assert await client.update_user("u1", body) == expected
