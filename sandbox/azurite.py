"""Start and stop Azurite's table and queue services (in memory, loopback) for tests and the demo.

The queue service carries Graph change notifications from the webhook to the queue-triggered worker;
the connection string names both endpoints, as a real account's does.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "devstoreaccount1"
# Azurite's published, well-known development key (not a secret; the same in every Azurite).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def connection_string(port: int, *, queue_port: int | None = None) -> str:
    """Tables on `port`; the queue endpoint too when `queue_port` is given."""
    queues = f"QueueEndpoint=http://127.0.0.1:{queue_port}/{ACCOUNT};" if queue_port else ""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"TableEndpoint=http://127.0.0.1:{port}/{ACCOUNT};{queues}"
    )


def _azurite_binary(name: str) -> str:
    local = ROOT / "node_modules" / ".bin" / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found:
        return found
    raise RuntimeError(f"{name} not found: run `npm ci` (make install does) in the project root")


def _azurite_table_binary() -> str:
    return _azurite_binary("azurite-table")


class Azurite:
    """Azurite's table service (and, unless `queues=False`, its queue service) on free loopback
    ports, in memory; `connection_string` for clients."""

    def __init__(self, *, port: int | None = None, queues: bool = True) -> None:
        self.port = port or free_port()
        self.queue_port: int | None = free_port() if queues else None
        self._process: subprocess.Popen[bytes] | None = None
        self._queue_process: subprocess.Popen[bytes] | None = None

    @property
    def connection_string(self) -> str:
        return connection_string(self.port, queue_port=self.queue_port)

    @property
    def queue_endpoint(self) -> str:
        if self.queue_port is None:
            raise RuntimeError("this Azurite was started without its queue service (queues=False)")
        return f"http://127.0.0.1:{self.queue_port}/{ACCOUNT}"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    def start(self, *, timeout: float = 30.0) -> Azurite:
        if self.queue_port is not None:
            self._queue_process = self._spawn_queue()
        cmd = [
            _azurite_table_binary(),
            "--inMemoryPersistence",
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(self.port),
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--loose",
        ]
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "AZURITE_ACCOUNTS": ""} if "AZURITE_ACCOUNTS" in os.environ else None,
        )
        deadline = time.monotonic() + timeout
        try:
            _wait_listening("azurite-table", self._process, self.port, deadline)
            if self._queue_process is not None and self.queue_port is not None:
                _wait_listening("azurite-queue", self._queue_process, self.queue_port, deadline)
        except RuntimeError:
            self.stop()
            raise
        return self

    def _spawn_queue(self) -> subprocess.Popen[bytes]:
        cmd = [
            _azurite_binary("azurite-queue"),
            "--inMemoryPersistence",
            "--queueHost",
            "127.0.0.1",
            "--queuePort",
            str(self.queue_port),
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--loose",
        ]
        return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "AZURITE_ACCOUNTS": ""} if "AZURITE_ACCOUNTS" in os.environ else None,
        )

    def stop(self) -> None:
        for name in ("_process", "_queue_process"):
            process: subprocess.Popen[bytes] | None = getattr(self, name)
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            if process.stderr:
                process.stderr.close()
            setattr(self, name, None)

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _wait_listening(name: str, process: subprocess.Popen[bytes], port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"{name} exited with {process.returncode}: {err.strip()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port} in time")
