"""scim2-server (PyPI) as its own process on loopback: an independent SCIM 2.0 peer for contract tests.

With `--dynamic-tenants` every `/<tenant>/v2` prefix is a separate, empty store, so one process
serves a whole test session.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType

from sandbox.azurite import free_port

SCIM2_TOKEN = "scim2-server-test-token"


def _binary() -> str:
    script = Path(sys.executable).with_name("scim2-server")
    found = str(script) if script.exists() else shutil.which("scim2-server")
    if found is None:
        raise RuntimeError("scim2-server is not installed: pip install -e '.[dev]' (make install does)")
    return found


class Scim2Server:
    def __init__(self, *, port: int | None = None, token: str = SCIM2_TOKEN) -> None:
        self.port = port or free_port()
        self.token = token
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def new_tenant_url(self) -> str:
        """The base URL of a fresh, empty SCIM service (`…/<tenant>/v2`)."""
        return f"{self.url}/t{uuid.uuid4().hex}/v2"

    def start(self, *, timeout: float = 20.0) -> Scim2Server:
        argv = [_binary(), "--hostname", "127.0.0.1", "--port", str(self.port)]
        argv += ["--bearer-token", self.token, "--dynamic-tenants"]
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"scim2-server exited with {self._process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"scim2-server did not listen on {self.url} within {timeout}s"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._process = None

    def __enter__(self) -> Scim2Server:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
