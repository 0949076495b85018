"""`make demo KEEP=1` (python -m sandbox.demo --keep): after the demo's cycles and a staging cycle it
prints the status page's URL, serves the page and the key-guarded JSON behind it, and SIGTERM stops
it with everything it started (Azurite is a child process)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"The status page: (?P<base>http://127\.0\.0\.1:\d+)/api/dashboard\?code=(?P<key>\S+)")


def _children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(status.parent.name))
    return found


def test_keep_prints_the_page_url_and_stops_on_sigterm() -> None:
    argv = [sys.executable, "-m", "sandbox.demo", "--keep", "--port", "0", "--timer-seconds", "3600"]
    demo = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ)
    )
    try:
        assert demo.stdout is not None
        deadline, found = time.monotonic() + 120, None
        seen: list[str] = []
        while found is None and time.monotonic() < deadline:
            line = demo.stdout.readline()
            assert line, "the demo ended before printing the page's URL:\n" + "".join(seen[-20:])
            seen.append(line)
            found = URL.search(line)
        assert found, "no URL within 120 s"
        base, key = found["base"], found["key"]
        assert any("staging cycle" in s for s in seen)
        assert httpx.get(f"{base}/api/dashboard").status_code == 401
        assert httpx.get(f"{base}/api/dashboard", params={"code": key}).status_code == 200
        assert httpx.get(f"{base}/api/status").status_code == 401
        status = httpx.get(f"{base}/api/status", headers={"x-functions-key": key}).json()
        assert status["stagedDeprovisions"] > 0 and status["quarantine"]["awaitingApproval"] is True
        children = _children(demo.pid)
        assert children, "Azurite should run as a child of the demo"
    finally:
        demo.send_signal(signal.SIGTERM)
        rest = demo.communicate(timeout=30)[0]
    assert demo.returncode == 0, rest
    assert "stopping the sandbox" in rest
    assert not any(Path(f"/proc/{pid}").exists() for pid in children)
