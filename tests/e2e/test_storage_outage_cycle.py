"""Table Storage going away in the middle of a cycle (connections reset through a fault proxy in
front of Azurite): a blink within the retry budget is survived; an outage past it ends the cycle
`interrupted` with one StorageError, nothing moves the watermark, and the rerun converges and closes
the dead run's row. The CLI says it in one line and exits 2."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time

from provisioning.config import load_settings
from provisioning.errors import LeaseLostError, StorageError
from provisioning.service import open_services
from provisioning.state.tablestore import RetryPolicy
from sandbox.azurite import connection_string
from sandbox.tcp_proxy import FaultProxy, Mode
from tests.e2e.conftest import Harness

SHORT = RetryPolicy(attempts=30, budget_seconds=2.0, first_wait=0.1, max_wait=0.5, jitter=0.1)
PATIENT = RetryPolicy(attempts=60, budget_seconds=8.0, first_wait=0.1, max_wait=0.5, jitter=0.1)


def _when_goto_writes(harness: Harness, proxy: FaultProxy, mode: Mode, seconds: float | None) -> None:
    """Once GoTo has seen its first writes, make Table Storage fail (for `seconds`, or for good)."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while harness.world.goto.counters.total("/identity/v1/Users") < 20 and time.monotonic() < deadline:
            time.sleep(0.005)
        if seconds is None:
            proxy.set_mode(mode)
        else:
            proxy.blink(mode, seconds)

    threading.Thread(target=watch, daemon=True).start()


async def _cycle(harness: Harness, proxy: FaultProxy, retry: RetryPolicy, *, lease_ttl: float) -> object:
    env = {
        **harness.env,
        "AzureWebJobsStorage": connection_string(proxy.port),
        "GOTO_RATE_LIMIT_PER_SECOND": "60",
    }
    settings = load_settings(env)
    async with open_services(settings, storage_retry=retry) as services:
        engine = services.engine(settings, lease_ttl_seconds=lease_ttl)
        return await engine.run_cycle(initiated_by="test")


async def test_a_blink_within_the_retry_budget_is_survived(
    harness: Harness, azurite_proxy: FaultProxy
) -> None:
    seeded = harness.world.seed_demo_tenant(users=120, groups=3)
    _when_goto_writes(harness, azurite_proxy, Mode.RESET, 1.0)
    result = await _cycle(harness, azurite_proxy, PATIENT, lease_ttl=6.0)  # outlives the blink
    assert azurite_proxy.resets > 0, "the blink never hit a Table call"
    assert result.cycle.status == "succeeded"  # type: ignore[attr-defined]
    assert len(harness.goto_users()) == len(seeded["in_scope"])


async def test_an_outage_past_the_budget_interrupts_and_the_rerun_converges(
    harness: Harness, azurite_proxy: FaultProxy
) -> None:
    seeded = harness.world.seed_demo_tenant(users=120, groups=3)
    _when_goto_writes(harness, azurite_proxy, Mode.RESET, None)
    try:
        await _cycle(harness, azurite_proxy, SHORT, lease_ttl=1.5)
        raise AssertionError("the cycle did not stop")
    except (StorageError, LeaseLostError) as exc:  # whichever the outage hits first: both interrupt
        assert "AccountKey" not in str(exc)
    azurite_proxy.set_mode(Mode.PASS)
    assert await harness.watermark("users") is None  # nothing moved it
    await asyncio.sleep(1.6)  # the dead run could not release its lease: it expires by its TTL

    rerun = await harness.cycle()
    assert rerun.cycle.status == "succeeded"
    assert len(harness.goto_users()) == len(seeded["in_scope"])  # exactly one account each
    async for state in harness.state():
        cycles = await state.list_cycles(limit=5)
        dead = [c for c in cycles if c.id != rerun.cycle.id]
        assert dead and dead[0].status == "interrupted"  # closed by the rerun, not left running


def test_the_cli_names_table_storage_in_one_line_and_exits_2(
    harness: Harness, azurite_proxy: FaultProxy
) -> None:
    harness.world.seed_demo_tenant(users=12, groups=2)
    azurite_proxy.set_mode(Mode.REFUSE)  # Azurite "killed": nothing listens
    env = {**os.environ, **harness.env, "AzureWebJobsStorage": connection_string(azurite_proxy.port)}
    done = subprocess.run(
        [sys.executable, "-m", "provisioning", "sync"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error (")]
    assert len(lines) == 1 and lines[0].startswith("error (storage)") and "Table Storage" in lines[0]
    assert "Traceback" not in done.stderr
    assert harness.world.goto.counters.total() == 0  # nothing written to GoTo without state
