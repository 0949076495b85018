"""At most one mail per condition per UTC day, held in Table Storage across instances and restarts."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from provisioning.notify import Condition, credentials_message, quarantine_message
from tests.notify.conftest import MakeNotifier, SmtpServer, StartSmtp, settings_for

MORNING = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
QUARANTINE = quarantine_message("GoTo answered 500 for 3 cycles", MORNING)


def subjects(server: SmtpServer) -> list[str]:
    return [str(r.message["Subject"]) for r in server.received]


async def test_second_call_the_same_day_is_suppressed_and_the_next_day_sends(
    smtp_server: SmtpServer, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier(settings_for(smtp_server))

    assert await notifier.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING) is True
    assert await notifier.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING + timedelta(hours=15)) is False
    assert len(smtp_server.received) == 1

    next_day = datetime(2025, 3, 5, 0, 0, 1, tzinfo=UTC)
    assert await notifier.notify(Condition.QUARANTINE, QUARANTINE, now=next_day) is True
    assert await notifier.notify(Condition.QUARANTINE, QUARANTINE, now=next_day + timedelta(hours=1)) is False
    assert len(smtp_server.received) == 2


async def test_conditions_are_counted_separately(
    smtp_server: SmtpServer, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier(settings_for(smtp_server))
    goto = credentials_message("goto", "401")
    graph = credentials_message("graph", "AADSTS7000222: the client secret has expired")

    assert await notifier.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING)
    assert await notifier.notify(Condition.CREDENTIALS, goto, now=MORNING)
    assert not await notifier.notify(Condition.CREDENTIALS, graph, now=MORNING)
    assert await notifier.notify("credentials:graph", graph, now=MORNING)  # a qualified condition

    assert subjects(smtp_server) == [
        "[GoTo provisioning] Provisioning is in quarantine",
        "[GoTo provisioning] GoTo credentials failed",
        "[GoTo provisioning] Microsoft Graph credentials failed",
    ]


async def test_the_day_holds_across_a_restart(smtp_server: SmtpServer, make_notifier: MakeNotifier) -> None:
    first = make_notifier(settings_for(smtp_server))
    assert await first.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING)
    await first.close()

    restarted = make_notifier(settings_for(smtp_server))
    assert await restarted.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING + timedelta(hours=2)) is False
    assert len(smtp_server.received) == 1


async def test_two_instances_racing_send_once(smtp_server: SmtpServer, make_notifier: MakeNotifier) -> None:
    a = make_notifier(settings_for(smtp_server))
    b = make_notifier(settings_for(smtp_server))
    conditions = [f"race{i}" for i in range(6)]

    # First day: both find no record and race to create it; next day: both race to replace it.
    for day, now in enumerate((MORNING, MORNING + timedelta(days=1)), start=1):
        results = await asyncio.gather(
            *(n.notify(c, QUARANTINE, now=now) for c in conditions for n in (a, b))
        )
        for i in range(len(conditions)):
            assert sorted(results[2 * i : 2 * i + 2]) == [False, True], (day, conditions[i])
        assert len(smtp_server.received) == day * len(conditions)


async def test_a_failed_send_leaves_the_day_open(
    smtp_server: SmtpServer, make_notifier: MakeNotifier
) -> None:
    nobody_listening = make_notifier(settings_for())
    working = make_notifier(settings_for(smtp_server))

    assert await nobody_listening.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING) is False
    # Well within the claim timeout: only a released claim lets this through.
    assert await working.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING + timedelta(minutes=1)) is True
    later = MORNING + timedelta(minutes=20)
    assert await working.notify(Condition.QUARANTINE, QUARANTINE, now=later) is False

    # Also when the claim replaced yesterday's record rather than creating one.
    tomorrow = MORNING + timedelta(days=1)
    assert await nobody_listening.notify(Condition.QUARANTINE, QUARANTINE, now=tomorrow) is False
    assert await working.notify(Condition.QUARANTINE, QUARANTINE, now=tomorrow + timedelta(minutes=1)) is True
    assert len(smtp_server.received) == 2


async def test_a_mail_being_sent_blocks_others_until_its_claim_goes_stale(
    start_smtp: StartSmtp, make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    slow = start_smtp()
    slow.sink.gate = threading.Event()
    fast = start_smtp()
    stuck = make_notifier(settings_for(slow))
    other = make_notifier(settings_for(fast))

    sending = asyncio.create_task(stuck.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING))
    try:
        assert await asyncio.to_thread(slow.sink.in_data.wait, 5)
        # While the first instance is mid-send, the claim holds.
        assert (
            await other.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING + timedelta(minutes=1)) is False
        )
        # An instance that died mid-send would hold it forever; after the claim timeout it is taken over.
        later = MORNING + timedelta(minutes=11)
        assert await other.notify(Condition.QUARANTINE, QUARANTINE, now=later) is True
    finally:
        slow.sink.gate.set()
    with caplog.at_level(logging.WARNING, logger="provisioning.notify"):
        assert await sending is True
    assert "another instance took its claim over" in caplog.text
    assert await other.notify(Condition.QUARANTINE, QUARANTINE, now=MORNING + timedelta(minutes=30)) is False
    assert len(slow.received) == 1 and len(fast.received) == 1
