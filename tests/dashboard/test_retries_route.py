"""GET /api/retries through the real Function app and Azurite: the objects on the retry ladder,
soonest next attempt first and given-up ones last (no next attempt), errors redacted, with the same
counts as status's `retries`; no query parameter is taken."""

from __future__ import annotations

from provisioning.config import load_settings
from provisioning.model import RetryRow
from provisioning.service import open_state
from tests.fixtures.functions import Caller


async def test_failed_objects_with_their_next_retry(call: Caller, api_env: dict[str, str]) -> None:
    rows = [
        RetryRow(
            "u-late", 3, "GoToServerError: 503", "2026-12-01T08:00:00+00:00", "2026-12-02T08:00:00+00:00"
        ),
        RetryRow("u-soon", 1, "MatchingConflict", "2026-12-01T09:00:00+00:00", "2026-12-01T10:00:00+00:00"),
        RetryRow("u-gone", 8, "Bearer abc.def.ghi refused", "2026-11-20T09:00:00+00:00", "", given_up=True),
    ]
    async with open_state(load_settings()) as state:
        await state.upsert_retries(rows)
    status, body = await call("retries", method="GET")
    assert status == 200, body
    assert [(f["id"], f["attempts"], f["nextAttempt"], f["givenUp"]) for f in body["failedObjects"]] == [
        ("u-soon", 1, "2026-12-01T10:00:00+00:00", False),
        ("u-late", 3, "2026-12-02T08:00:00+00:00", False),
        ("u-gone", 8, None, True),
    ]
    assert "abc.def.ghi" not in body["failedObjects"][2]["error"]
    assert (body["pending"], body["givenUp"], body["givenUpIds"]) == (2, 1, ["u-gone"])
    _, status_body = await call("status", method="GET")
    assert status_body["retries"] == {k: body[k] for k in status_body["retries"]}

    status, body = await call("retries", method="GET", params={"top": "5"})
    assert status == 400 and body["error"]["field"] == "top"
