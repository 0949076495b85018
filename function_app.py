"""Azure Functions entry points (v2 programming model). Triggers only: each calls a service."""

from __future__ import annotations

import logging

import azure.functions as func

from provisioning.config import load_settings
from provisioning.report import summary_dict
from provisioning.service import run_sync

app = func.FunctionApp()
log = logging.getLogger("provisioning")


@app.timer_trigger(schedule="%SYNC_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
async def sync_timer(timer: func.TimerRequest) -> None:
    """One incremental cycle per tick; a bad setting fails the invocation with the setting's name."""
    if timer.past_due:
        log.warning("sync timer is past due; running now")
    settings = load_settings()
    result = await run_sync(settings, initiated_by="timer")
    log.info("provisioning cycle finished: %s", summary_dict(result))
