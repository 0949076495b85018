"""The retry policy: what is retried, the waits it asks for (never wall time), and when it stops.

httpx.MockTransport scripts the answers a real server cannot give on cue; sleeps are recorded by an
injected sleep function instead of being slept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from provisioning.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    TargetError,
    TransientError,
    UnauthorizedError,
)
from provisioning.target import (
    Capabilities,
    RetryPolicy,
    ScimClient,
    ScimDialect,
    Throttle,
    retry_after_seconds,
)

USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a@contoso.com"}
Step = httpx.Response | Exception
BASE = "https://goto.test/identity/v1"


def scim_error(status: int, detail: str, scim_type: str | None = None, **headers: str) -> httpx.Response:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
        "detail": detail,
    }
    if scim_type:
        body["scimType"] = scim_type
    return httpx.Response(status, json=body, headers=headers)


class Script:
    """Answers requests with the next step (a response or an exception to raise); records requests."""

    def __init__(self, steps: Iterable[Step]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(
    script: Callable[[httpx.Request], httpx.Response], *, sleeps: Sleeps, **policy: float
) -> ScimClient:
    retry = RetryPolicy(**{"max_attempts": 4, "base_delay": 0.01, "max_delay": 30.0, **policy})  # type: ignore[arg-type]
    http = httpx.AsyncClient(transport=httpx.MockTransport(script), base_url=BASE)
    throttle = Throttle(rate_per_second=1000.0, burst=100, retry=retry, sleep=sleeps)
    # discovery is not what these tests are about (test_discovery.py is)
    return ScimClient(
        http, dialect=ScimDialect.goto(), throttle=throttle, capabilities=Capabilities(discovered=True)
    )


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_retryable_statuses_then_success(status: int) -> None:
    script, sleeps = (
        Script([scim_error(status, "busy"), scim_error(status, "busy"), httpx.Response(200, json=USER)]),
        Sleeps(),
    )
    client = client_for(script, sleeps=sleeps)
    assert await client.get_user("u1") == USER
    assert len(script.requests) == 3
    assert (client.calls.requests, client.calls.retries) == (3, 2)
    assert client.calls.throttled == (2 if status == 429 else 0)
    assert len(sleeps) == 2


async def test_retry_after_seconds_is_honoured() -> None:
    script = Script([scim_error(429, "slow down", **{"Retry-After": "2"}), httpx.Response(200, json=USER)])
    sleeps = Sleeps()
    await client_for(script, sleeps=sleeps).get_user("u1")
    assert len(sleeps) == 1 and 2.0 <= sleeps[0] <= 2.0 + 0.01  # the peer's wait plus at most base_delay


async def test_retry_after_http_date_is_honoured() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    script = Script([scim_error(503, "maintenance", **{"Retry-After": when}), httpx.Response(200, json=USER)])
    sleeps = Sleeps()
    await client_for(script, sleeps=sleeps).get_user("u1")
    assert len(sleeps) == 1 and 15.0 <= sleeps[0] <= 20.01


async def test_retry_after_is_capped_by_max_delay() -> None:
    script = Script(
        [scim_error(429, "come back tomorrow", **{"Retry-After": "86400"}), httpx.Response(200, json=USER)]
    )
    sleeps = Sleeps()
    await client_for(script, sleeps=sleeps, max_delay=0.5).get_user("u1")
    assert sleeps == [0.5]


async def test_without_retry_after_the_backoff_grows_with_jitter() -> None:
    script = Script([scim_error(429, "busy")] * 4 + [httpx.Response(200, json=USER)])
    sleeps = Sleeps()
    await client_for(script, sleeps=sleeps, max_attempts=5, base_delay=1.0, max_delay=6.0).get_user("u1")
    steps = [1.0, 2.0, 4.0, 6.0]  # base * 2^(n-1), capped at max_delay
    assert len(sleeps) == 4
    assert all(step / 2 <= slept <= step for slept, step in zip(sleeps, steps, strict=True))


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_timeouts_and_dropped_connections_are_retried(failure: Exception) -> None:
    script, sleeps = Script([failure, httpx.Response(200, json=USER)]), Sleeps()
    client = client_for(script, sleeps=sleeps)
    assert await client.get_user("u1") == USER
    assert (client.calls.requests, client.calls.retries, len(sleeps)) == (2, 1, 1)


async def test_gives_up_on_statuses_with_transient_error_after_max_attempts() -> None:
    script, sleeps = Script([scim_error(503, "down for maintenance")]), Sleeps()
    client = client_for(script, sleeps=sleeps, max_attempts=3)
    with pytest.raises(TransientError) as caught:
        await client.create_user(USER)
    assert len(script.requests) == 3 and len(sleeps) == 2
    assert caught.value.status == 503
    assert caught.value.detail == "down for maintenance"
    assert "after 3 attempts" in str(caught.value)


async def test_gives_up_on_timeouts_with_transient_error_after_max_attempts() -> None:
    script, sleeps = Script([httpx.ReadTimeout("timed out")]), Sleeps()
    client = client_for(script, sleeps=sleeps, max_attempts=2)
    with pytest.raises(TransientError) as caught:
        await client.delete_user("u1")
    assert len(script.requests) == 2
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (403, UnauthorizedError),
        (404, NotFoundError),
        (409, ConflictError),
    ],
)
async def test_client_errors_are_never_retried(status: int, error: type[TargetError]) -> None:
    script, sleeps = (
        Script([scim_error(status, "no", "invalidValue"), httpx.Response(201, json=USER)]),
        Sleeps(),
    )
    client = client_for(script, sleeps=sleeps)
    with pytest.raises(error) as caught:
        await client.create_user(USER)
    assert len(script.requests) == 1 and sleeps == [] and client.calls.retries == 0
    assert (caught.value.status, caught.value.scim_type, caught.value.detail) == (
        status,
        "invalidValue",
        "no",
    )


async def test_a_bad_url_is_not_retried() -> None:
    script, sleeps = (
        Script([httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'")]),
        Sleeps(),
    )
    with pytest.raises(TargetError) as caught:
        await client_for(script, sleeps=sleeps).get_user("u1")
    assert not isinstance(caught.value, TransientError)
    assert len(script.requests) == 1


async def test_a_patch_that_times_out_is_sent_again_identically() -> None:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": False}],
    }
    script, sleeps = Script([httpx.ReadTimeout("timed out"), httpx.Response(200, json=USER)]), Sleeps()
    await client_for(script, sleeps=sleeps).update_user("u1", body)
    assert [json.loads(r.content) for r in script.requests] == [body, body]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("soon", None),
        ("inf", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: go now
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_date_relative_to_now() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now=now.timestamp()) == 30.0


@pytest.mark.parametrize("options", [{"max_attempts": 0}, {"base_delay": -1.0}], ids=str)
def test_nonsense_policies_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**options)  # type: ignore[arg-type]
