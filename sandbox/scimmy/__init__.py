"""SCIMMY (npm scimmy + scimmy-routers, MIT) as its own Node process on loopback: a second
independent SCIM 2.0 peer. Every `/<tenant>/scim/v2` prefix is a separate, empty service."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from types import TracebackType

SCIMMY_TOKEN = "scimmy-test-token"
SERVER_SCRIPT = Path(__file__).with_name("server.mjs")
_ROOT = SERVER_SCRIPT.parents[2]


class ScimmyServer:
    """`start()` waits for the server's "listening <url>" line; the OS picks the port (no races)."""

    def __init__(self, *, token: str = SCIMMY_TOKEN) -> None:
        self.token = token
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def new_tenant_url(self) -> str:
        """The base URL of a fresh, empty SCIM service (`…/<tenant>/scim/v2`)."""
        if not self.url:
            raise RuntimeError("ScimmyServer is not started")
        return f"{self.url}/t{uuid.uuid4().hex}/scim/v2"

    def start(self) -> ScimmyServer:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed: SCIMMY needs Node >= 18")
        if not (_ROOT / "node_modules" / "scimmy-routers").is_dir():
            raise RuntimeError("scimmy is not installed: run `npm ci` in the repository root")
        self._process = subprocess.Popen(  # noqa: S603
            [node, str(SERVER_SCRIPT), "0", self.token],
            cwd=_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # blocks until the line or the process's exit
        if not line.startswith("listening "):
            code = self._process.poll()
            self.stop()
            raise RuntimeError(f"SCIMMY did not start (exit code {code}, said {line.strip()!r})")
        self.url = line.split(" ", 1)[1].strip()
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None
        self.url = ""

    def __enter__(self) -> ScimmyServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
