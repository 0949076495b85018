"""A run on record from its start to its end, whatever ends it; and the rows of runs that died."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from provisioning.engine.ports import StateStore
from provisioning.engine.quarantine import Quarantine
from provisioning.engine.run import Clock, CycleRun
from provisioning.errors import LeaseLostError, StorageError, UnauthorizedError
from provisioning.model import CycleStatus

DEAD_RUN_LOOKBACK = 10  # recent cycle rows checked for runs that died without recording their end
log = logging.getLogger(__name__)


@asynccontextmanager
async def recorded(
    run: CycleRun,
    state: StateStore,
    quarantine: Quarantine,
    request_counts: Callable[[], tuple[int, int]] | None = None,
) -> AsyncIterator[CycleRun]:
    """The row is written first (a crash leaves `running`) and last: bad credentials end it `failed`
    and quarantine the job, a lost lease or storage `interrupted`, anything else `failed`."""
    cycle = run.cycle
    await state.upsert_cycle(cycle)
    failing = True
    try:
        yield run
        failing = False
    except UnauthorizedError as exc:
        cycle.status, cycle.error = CycleStatus.FAILED, f"credentials: {exc}"[:2000]
        await quarantine.enter("credentials", str(exc))
        raise
    except (LeaseLostError, StorageError) as exc:
        cycle.status, cycle.error = CycleStatus.INTERRUPTED, f"{type(exc).__name__}: {exc}"[:2000]
        raise
    except BaseException as exc:
        cycle.status, cycle.error = CycleStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        raise
    finally:
        run.close()
        if request_counts is not None:
            cycle.graph_requests, cycle.goto_requests = request_counts()
        try:
            await state.upsert_cycle(cycle)
        except StorageError as exc:
            if not failing:
                raise
            log.warning("cycle %s: its final row could not be written (%s)", cycle.id, exc)


async def record_skip(state: StateStore, run: CycleRun, reason: str) -> None:
    run.cycle.status, run.cycle.detail = CycleStatus.SKIPPED, reason
    run.cycle.ended = run.clock().isoformat()
    await state.upsert_cycle(run.cycle)


async def close_dead_runs(state: StateStore, clock: Clock) -> None:
    """Rows still `running` while we hold the lease belong to runs that died (killed, or storage lost
    before they could record their end): say so, rather than show them running forever."""
    for row in await state.list_cycles(limit=DEAD_RUN_LOOKBACK):
        if row.status is CycleStatus.RUNNING and not row.dry_run:
            row.status = CycleStatus.INTERRUPTED
            row.error = row.error or "the run stopped without recording its end (killed, or storage lost)"
            row.ended = row.ended or clock().isoformat()
            await state.upsert_cycle(row)
