"""No secret in any status or logs answer: real cycles with the sandbox tokens (and one GoTo refused),
read back as status JSON and text, logs JSON, CSV and table; error text that quotes a credential is
redacted on the way out."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from provisioning.api.http import ApiRequest
from provisioning.api.status import handle_status
from provisioning.cli.commands import logs_command, status_command
from provisioning.config import load_settings
from provisioning.errors import UnauthorizedError
from provisioning.model import AuditStatus
from provisioning.redaction import redact
from sandbox.azurite import ACCOUNT_KEY
from sandbox.goto import SANDBOX_GOTO_TOKEN
from sandbox.graph import SANDBOX_GRAPH_TOKEN
from sandbox.world import World
from tests.api.test_logs_support import scene
from tests.state.test_audit_log_support import cycle, guid, record

REVOKED = "revoked-token-5f1c"
LEAKY_REASON = f'{{"refresh_token": "s3cr3t-refresh", "access_token": "{SANDBOX_GRAPH_TOKEN}"}}'
SECRETS = (SANDBOX_GRAPH_TOKEN, SANDBOX_GOTO_TOKEN, ACCOUNT_KEY, REVOKED, "s3cr3t-refresh")


async def test_no_secret_in_status_or_logs(world: World) -> None:
    async with scene(world) as s:
        with pytest.raises(UnauthorizedError):
            await s.harness.cycle(GOTO_ACCESS_TOKEN=REVOKED)
        # error text from elsewhere that quotes credentials (defence in depth: redacted on the way out)
        leaky, storage = guid(), s.harness.env["AzureWebJobsStorage"]
        started = datetime.now(UTC) - timedelta(days=1)
        await s.state.upsert_cycle(
            replace(
                cycle(leaky, started, status="failed", counts={"create/failure": 1}),
                error=f"HTTP 401 for Authorization: Bearer {SANDBOX_GOTO_TOKEN} ({storage})",
            )
        )
        await s.log.add(
            [
                record(
                    leaky,
                    guid(),
                    started + timedelta(seconds=1),
                    status=AuditStatus.FAILURE,
                    error=("Unauthorized", LEAKY_REASON, f"retry with access_token={REVOKED}"),
                )
            ]
        )
        settings = load_settings(s.harness.env)
        answer = await handle_status(ApiRequest("GET", "/api/status"), state=s.state, settings=settings)
        texts = [answer.body.decode()]
        for as_json in (True, False):
            out = io.StringIO()
            await status_command(state=s.state, settings=settings, out=out, as_json=as_json)
            texts.append(out.getvalue())
        texts.append((await s.get(top="1000")).body.decode())
        texts.append((await s.get(top="1000", format="csv")).body.decode())
        for fmt in ("table", "json", "csv"):
            out = io.StringIO()
            assert await logs_command({}, log=s.log, out=out, fmt=fmt, all_pages=True) == 0
            texts.append(out.getvalue())
    everything = "\n".join(texts)
    assert s.second.cycle.id in everything and leaky in everything and "[redacted]" in everything
    for secret in SECRETS:
        assert secret not in everything


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {SANDBOX_GOTO_TOKEN}",
        f"bearer {SANDBOX_GRAPH_TOKEN}",
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={ACCOUNT_KEY};",
        "https://x.table.core.windows.net/t?sv=2024&sig=abc%2Bdef&se=2026",
        '{"access_token": "abc", "refresh_token":"def", "client_secret" : "ghi"}',
        "token request failed: client_secret=ghi&refresh_token=def",
    ],
)
def test_redact(text: str) -> None:
    cleaned = redact(text)
    assert cleaned is not None and "[redacted]" in cleaned
    for secret in (SANDBOX_GOTO_TOKEN, SANDBOX_GRAPH_TOKEN, ACCOUNT_KEY, "abc%2Bdef", '"abc"', "def", "ghi"):
        assert secret not in cleaned
