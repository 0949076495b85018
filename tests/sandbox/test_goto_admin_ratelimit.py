"""The Admin API's rate limit: its own bucket by default (GoTo's limit is per API), or SCIM's
(`admin_rate_limit="shared"`); its requests are counted under their own routes."""

from __future__ import annotations

import pytest

from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.fixtures.goto_sim import http_client


def _burst(sim: GoToSimulator, scim_first: int, admin_after: int) -> list[int]:
    with http_client(sim.url, token=SANDBOX_GOTO_TOKEN) as client:
        for _ in range(scim_first):
            client.get("/identity/v1/Users/me")
        return [client.get("/admin/rest/v1/me").status_code for _ in range(admin_after)]


def test_separate_by_default_scim_traffic_does_not_throttle_admin(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=2)

    codes = _burst(goto_sim, 6, 2)

    assert codes == [200, 200]
    assert goto_sim.rate_limited.snapshot().get("admin", 0) == 0


def test_shared_scim_traffic_throttles_admin(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=2, admin_rate_limit="shared")

    codes = _burst(goto_sim, 6, 2)

    assert codes.count(429) >= 1
    assert goto_sim.rate_limited.snapshot()["admin"] >= 1


def test_an_admin_429_is_json_with_retry_after(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1)
    with http_client(goto_sim.admin_base_url, token=SANDBOX_GOTO_TOKEN) as client:
        answers = [client.get("/me") for _ in range(4)]

    throttled = [a for a in answers if a.status_code == 429]
    assert throttled
    assert throttled[0].json()["errorCode"] == "TOO_MANY_REQUESTS"
    assert int(throttled[0].headers["Retry-After"]) >= 1


def test_admin_requests_are_counted_apart_from_scim(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1000)
    with http_client(goto_sim.url, token=SANDBOX_GOTO_TOKEN) as client:
        client.get("/identity/v1/Users/me")
        assert goto_sim.admin_requests() == 0
        client.get("/admin/rest/v1/me")
        client.get("/admin/rest/v1/accounts/1/licenses")

    assert goto_sim.admin_requests() == 2
    assert goto_sim.counters.snapshot()["GET /admin/rest/v1/accounts/{id}/licenses"] == 1


def test_the_setting_is_checked(goto_sim: GoToSimulator) -> None:
    with pytest.raises(ValueError, match="admin_rate_limit"):
        goto_sim.configure(admin_rate_limit="pooled")
