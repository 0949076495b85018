"""GoTo's 10 requests/second: a burst is throttled with 429s, a client pacing itself at 9/s never is.

No timing is asserted: only counts of 429s, with margins wide enough for a slow, busy machine.
"""

from __future__ import annotations

import time

import httpx
import pytest

from sandbox.goto import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GoToSimulator
from sandbox.goto.ratelimit import TokenBucket, retry_after_value
from tests.fixtures.goto_sim import http_client


def statuses(client: httpx.Client, n: int, path: str = "/Users/me") -> list[int]:
    return [client.get(path).status_code for _ in range(n)]


def test_a_burst_of_40_gets_429s(goto_http: httpx.Client, goto_sim: GoToSimulator) -> None:
    codes = statuses(goto_http, 40)

    assert codes.count(429) >= 10  # 40 sent; at most 10 + 10/s of refill can pass
    assert codes.count(200) >= 10  # the bucket starts full
    assert set(codes) == {200, 429}
    assert codes[:10] == [200] * 10
    assert goto_sim.counters.snapshot()["GET /identity/v1/Users/me"] == 40  # 429s are counted too


def test_a_client_pacing_itself_at_9_per_second_is_never_throttled(goto_http: httpx.Client) -> None:
    codes = []
    for _ in range(20):
        codes.append(goto_http.get("/Users/me").status_code)
        time.sleep(1 / 9)

    assert codes == [200] * 20


def test_429_carries_retry_after_in_whole_seconds_by_default(
    goto_http: httpx.Client, goto_sim: GoToSimulator
) -> None:
    goto_sim.configure(rate_limit_per_second=1)
    throttled = [r for r in (goto_http.get("/Users/me") for _ in range(5)) if r.status_code == 429]

    assert throttled
    for response in throttled:
        assert int(response.headers["Retry-After"]) >= 1
        body = response.json()
        assert body["status"] == "429"
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_retry_after_can_be_switched_off(goto_http: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1, retry_after_header=False)
    throttled = [r for r in (goto_http.get("/Users/me") for _ in range(5)) if r.status_code == 429]

    assert throttled
    assert all("Retry-After" not in r.headers for r in throttled)


def test_the_token_endpoint_is_limited_too(goto_sim: GoToSimulator) -> None:
    data = {"grant_type": "refresh_token", "refresh_token": goto_sim.oauth.issue()["refresh_token"]}
    with http_client(goto_sim.url) as web:
        codes = [
            web.post("/oauth/token", auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), data=data).status_code
            for _ in range(40)
        ]

    assert codes.count(429) >= 10
    assert codes.count(200) >= 10


def test_control_routes_are_never_limited(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1)
    with http_client(goto_sim.control_url) as control:
        codes = [control.get("/counters").status_code for _ in range(30)]

    assert codes == [200] * 30


@pytest.mark.parametrize(
    ("rate", "burst", "wait", "after_half_second"),
    [(10.0, 10, 0.1, 5), (2.5, 2, 0.2, 1)],  # 2.5/s: 2 granted, 0.5 left, 0.2 s to the next token
)
def test_bucket_capacity_is_the_rate_and_refill_is_continuous(
    rate: float, burst: int, wait: float, after_half_second: int
) -> None:
    now = [100.0]
    bucket = TokenBucket(rate, clock=lambda: now[0])

    assert sum(bucket.take() is None for _ in range(50)) == burst
    assert bucket.take() == pytest.approx(wait)

    now[0] += 0.5
    assert sum(bucket.take() is None for _ in range(50)) == after_half_second
    now[0] += 3600
    assert sum(bucket.take() is None for _ in range(50)) == burst  # never above capacity


def test_rates_below_one_still_let_single_requests_through() -> None:
    now = [0.0]
    bucket = TokenBucket(0.5, clock=lambda: now[0])

    assert bucket.take() is None
    wait = bucket.take()
    assert wait == pytest.approx(2.0)
    assert retry_after_value(wait or 0) == "2"
    now[0] += 2.0
    assert bucket.take() is None


def test_retry_after_rounds_up() -> None:
    assert [retry_after_value(w) for w in (0.01, 0.99, 1.0, 1.01)] == ["1", "1", "1", "2"]
