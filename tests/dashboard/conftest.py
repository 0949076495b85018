"""One headless Chromium per test session (Debian's /usr/bin/chromium driven by Playwright), and
the sandbox's demo world served by sandbox.demo.FunctionHost for it."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from provisioning.config import load_settings
from provisioning.service import run_sync
from sandbox.world import World, environment

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
FAST = {"GOTO_RATE_LIMIT_PER_SECOND": "1000"}
T = TypeVar("T")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the browser tests (they live in one module): module-scoped, not session,
    because Playwright's sync API keeps an event loop running in the main thread while it is open,
    and the suite's async tests could not start their own after it. Fails, never skips, when
    Chromium is missing: `.ci/run` installs it."""
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def api_env(world: World) -> Iterator[dict[str, str]]:
    """The Function app's settings point at this test's world (as in tests/api)."""
    values = world.env(**FAST)
    with environment(values):
        yield values


@pytest.fixture
def artifacts() -> Path:
    """Screenshots land here; the directory ignores itself, so nothing in it is committed."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    return ARTIFACTS


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop running in
    this one, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def in_process_sync(world: World, title: str, overrides: dict[str, str]) -> None:
    """A cycle as the timer runs it, in this process (the demo runs the CLI in a child instead)."""
    with environment(world.env(**FAST, **overrides)):
        run_async(run_sync(load_settings(), initiated_by="timer"))
