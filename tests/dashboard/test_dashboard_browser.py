"""The status page in headless Chromium against the demo's sandbox (Azurite, both simulators, the
Function app's routes behind sandbox.demo.FunctionHost): every admin task of issue 17, at 1280 px
wide through the key form and at 400 px through the URL fragment, with no console error."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from provisioning.config import load_settings
from provisioning.engine.staged import STAGED
from provisioning.model import CycleRecord, RetryRow
from provisioning.service import run_sync
from provisioning.state.tables import TableState
from sandbox.demo import play, serving
from sandbox.world import World
from tests.dashboard.conftest import FAST, in_process_sync, run_async

# the relative luminance contrast of each visible text element against its nearest opaque background
CHECKS = (Path(__file__).parent / "checks.js").read_text()
CONTRAST_JS = "() => { " + CHECKS + " return lowContrast(); }"
UNLABELLED_JS = "() => { " + CHECKS + " return unlabelled(); }"


async def _state(world: World, call: Any) -> Any:
    async with TableState.from_connection_string(
        world.azurite.connection_string, prefix=world.table_prefix
    ) as state:
        return await call(state)


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    return problems


def _loaded(page: Any) -> None:
    page.wait_for_selector("body[data-loaded=true]", timeout=15000)


def test_the_admin_tasks_in_a_browser(
    world: World, browser: Any, artifacts: Path, functions: dict[str, Any]
) -> None:
    seeded = play(world, in_process_sync, stage=True)
    last = run_async(_state(world, lambda s: s.list_cycles(limit=1)))[0]
    staged = len(run_async(_state(world, lambda s: s.list_held_operations(STAGED))))
    assert last.counts.to_dict() and staged > 3  # the staging cycle held the unassigned group's members
    renamed = seeded["in_scope"][1]
    newcomer = seeded["outside"][1]
    world.graph.tenant.assign(newcomer)
    failing = seeded["in_scope"][4]
    retry = RetryRow(
        failing, 2, "GoToServerError: 503", "2026-12-01T08:00:00+00:00", "2026-12-01T14:00:00+00:00"
    )
    run_async(_state(world, lambda s: s.upsert_retries([retry])))

    with serving(world, functions=functions.values(), overrides=FAST) as host:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30000)  # a loaded CI machine (2 cores, two test workers) is slow
        problems = _watch(page)
        page.goto(host.page_url())  # opened with the key, as the Functions host takes it
        _loaded(page)

        # the key through the form: a wrong key is refused by name, the right one connects
        page.get_by_label("Function key").fill("not-the-key")
        page.get_by_role("button", name="Connect").click()
        page.get_by_role("alert").filter(has_text="function key was refused").wait_for()
        assert all("401" in p for p in problems), problems  # Chromium logs each refused request
        problems.clear()
        page.get_by_label("Function key").fill(host.key)
        page.get_by_label("Function key").press("Enter")
        _loaded(page)

        # the counts of the seeded (staging) cycle, as its cycle record holds them
        shown = dict(
            page.eval_on_selector_all(
                "#last-counts tbody tr[data-count]",
                "rows => rows.map(r => [r.dataset.count, Number(r.cells[2].textContent)])",
            )
        )
        assert shown == last.counts.to_dict()
        assert page.locator("#cycles-total").inner_text() == "3"
        upns = {u["userPrincipalName"] for u in world.graph.tenant.users()}  # not GoTo's own admin
        assert int(page.locator("#users-managed").inner_text()) == len(
            [u for u in world.goto.store.users() if u.get("active", True) and u["userName"] in upns]
        )
        assert page.locator("#chart svg rect.bar.create").count() == 1  # all three cycles ran today
        failed = page.locator("#failed tbody tr").all_inner_texts()
        assert [f.split("\t") for f in failed] == [
            [failing, "2", "GoToServerError: 503", "2026-12-01 14:00:00 UTC"]
        ]

        # the log filtered by action, then by Entra id; a record's steps and modified properties
        page.get_by_label("Action").select_option("update")
        page.get_by_role("button", name="Filter").click()
        # the table itself, not the status line (another message can replace it within a frame)
        cells = page.locator("#logs tbody tr[data-record] td:nth-child(2)")
        deadline = time.monotonic() + 30
        while set(actions := cells.all_inner_texts()) != {"update"}:  # also while it is empty
            assert time.monotonic() < deadline, actions
            page.wait_for_timeout(100)
        page.get_by_label("Entra id", exact=True).fill(renamed)
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("#logs tbody tr[data-record]")).to_have_count(1)
        upn = world.graph.tenant.user(renamed)["userPrincipalName"]
        steps = page.get_by_role("button", name=f"Steps of update {upn}")
        steps.focus()
        page.keyboard.press("Enter")  # by keyboard
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("Renamed Person").first.wait_for()
        assert "displayName" in dialog.inner_text() and "Steps" in dialog.inner_text()
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
        assert page.evaluate("document.activeElement.textContent") == "Steps"

        # CSV export of the filtered log
        with page.expect_download() as download:
            page.get_by_role("button", name="Export CSV").click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        assert [(r["provisioningAction"], r["sourceId"]) for r in rows] == [("update", renamed)]

        # CSV export of the whole log follows the continuation token (pages cut to 10 records here)
        page.route(
            "**/api/logs?*format=csv*",
            lambda route: route.continue_(url=route.request.url.replace("top=1000", "top=10")),
        )
        page.get_by_label("Action").select_option("")
        page.get_by_label("Entra id", exact=True).fill("")
        page.get_by_role("button", name="Filter").click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Export CSV").click()
        text = Path(download.value.path()).read_text()
        everything = httpx.get(
            f"{host.url}/api/logs", params={"top": "1000"}, headers={"x-functions-key": host.key}
        )
        ids = [r["id"] for r in everything.json()["value"]]
        assert len(ids) > 20 and text.count("activityDateTime,") == 1
        assert [r["id"] for r in csv.DictReader(io.StringIO(text))] == ids
        assert sum("format=csv" in p and "continuationToken=" in p for p in host.paths) >= 2
        page.unroute("**/api/logs?*format=csv*")

        # provision on demand: a dry run shows the steps and writes nothing; then for real
        before = len(world.goto.store.users())
        assert page.get_by_role("button", name="Provision now").is_disabled()
        page.get_by_label("Entra object id").fill(newcomer)
        page.get_by_role("button", name="Dry run").click()
        result = page.locator("#provision-result")
        result.get_by_text("Dry run " + newcomer).wait_for()
        assert "create" in result.inner_text() and result.locator("ol.steps li").count() >= 2
        assert len(world.goto.store.users()) == before
        page.get_by_role("button", name="Provision now").click()
        result.get_by_text("Provisioned " + newcomer).wait_for()
        assert len(world.goto.store.users()) == before + 1
        page.get_by_label("Object", exact=True).select_option("groups")
        group = seeded["assigned_groups"][0]
        page.get_by_label("Entra object id").fill(group)
        page.get_by_role("button", name="Dry run").click()  # 21 members: Entra's limit of 5 is named
        page.get_by_role("alert").filter(has_text="memberIds").wait_for()
        assert [p for p in problems if "400" not in p] == []  # Chromium logs the refused request
        problems.clear()
        chosen = [m for m, _ in world.graph.tenant.members(group)][:2]
        page.get_by_label("Group members").fill(", ".join(chosen))
        page.get_by_role("button", name="Dry run").click()
        result.locator(".group-result").wait_for()
        assert result.get_by_text("Dry run " + group).is_visible()
        assert all(m in result.inner_text() for m in chosen)

        # staged deprovisions: the confirmation names how many; the next timer cycle applies them
        assert page.locator("#staged-count").inner_text() == str(staged)
        asked: list[str] = []

        def confirm(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept()

        page.once("dialog", confirm)
        page.get_by_role("button", name="Approve staged deprovisions").click()
        page.get_by_role("status").filter(has_text="approval recorded").wait_for()
        assert asked and asked[0].startswith(f"Approve {staged} staged deprovisions?")
        host.run(_timer_cycle(world))
        page.reload()
        _loaded(page)
        expect(page.locator("#staged-count")).to_have_text("0")
        assert page.get_by_role("button", name="Approve staged deprovisions").is_disabled()

        # a cycle running now (its row and a live lease): the progress bar and the rate
        run_async(_state(world, _start_a_cycle))
        page.reload()
        _loaded(page)
        bar = page.get_by_role("progressbar", name="Operations done")
        assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("10", "40")
        assert "3 pages read, 40 objects, 10 operations done" in page.locator("#running-detail").inner_text()
        assert "of GoTo's limit 1000" in page.locator("#running-detail").inner_text()

        assert page.evaluate(UNLABELLED_JS) == []
        assert page.evaluate(CONTRAST_JS) == []
        page.screenshot(path=str(artifacts / "dashboard-1280.png"), full_page=True)
        assert problems == []
        context.close()

        # 400 px wide, the key in the fragment: no sideways scrolling, and the fragment is dropped
        narrow = browser.new_context(viewport={"width": 400, "height": 800})
        page = narrow.new_page()
        problems = _watch(page)
        page.goto(f"{host.url}/api/dashboard?code={host.key}#key={host.key}")
        _loaded(page)
        assert page.evaluate("location.hash") == ""  # the fragment is dropped at once
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        assert page.get_by_role("button", name="Dry run").is_visible()
        assert page.evaluate(CONTRAST_JS) == []
        page.screenshot(path=str(artifacts / "dashboard-400.png"), full_page=True)
        assert problems == []
        narrow.close()

    # only the page itself was opened with the key; none of its own calls put it in a URL
    assert all(p.startswith("/api/dashboard?code=") for p in host.paths if host.key in p), host.paths
    assert any(p.startswith("/api/logs?") for p in host.paths)


async def _start_a_cycle(state: TableState) -> None:
    now = datetime.now(UTC)
    cycle = CycleRecord(
        id=str(uuid.uuid4()), started=now.isoformat(), kind="incremental", pages=3, objects_read=40
    )
    cycle.operations_done = 10
    await state.upsert_cycle(cycle)
    assert await state.acquire_lease(cycle.id, seconds=600, now=now)


async def _timer_cycle(world: World) -> None:
    await run_sync(load_settings(), initiated_by="timer")
