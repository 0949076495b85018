"""FileTokenStore: the refresh token in a JSON file, for loopback sandboxes without a Key Vault.

Safe across processes: every read holds a shared flock and every write an exclusive one on a
sibling `.lock` file, so compare-and-set is a real atomic check (on Windows, where the module must
still import for admins using Key Vault, msvcrt's exclusive byte lock serves both; untested there).
Writes go to a 0600 temporary file in the same directory and replace the old file with os.replace
(never a half-written file).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from provisioning.goto_auth.errors import TokenStoreConflict, TokenStoreError
from provisioning.goto_auth.store import StoredToken

if sys.platform == "win32":
    import msvcrt

    def _lock(handle: int, *, exclusive: bool) -> None:
        msvcrt.locking(handle, msvcrt.LK_LOCK, 1)  # exclusive only; gives up after about 10 s

    def _unlock(handle: int) -> None:
        os.lseek(handle, 0, os.SEEK_SET)
        msvcrt.locking(handle, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: int, *, exclusive: bool) -> None:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    def _unlock(handle: int) -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)


class FileTokenStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    @property
    def description(self) -> str:
        return f"file {self.path}"

    async def get(self) -> StoredToken | None:
        return await asyncio.to_thread(self._get)

    async def put(self, value: str) -> str:
        return await asyncio.to_thread(self._write, value, check=False, expected_version=None)

    async def compare_and_set(self, value: str, *, expected_version: str | None) -> str:
        return await asyncio.to_thread(self._write, value, check=True, expected_version=expected_version)

    async def close(self) -> None:
        return None

    # -- blocking parts, run in a worker thread -----------------------------------------------------

    def _get(self) -> StoredToken | None:
        with self._locked(exclusive=False):
            return self._read()

    def _write(self, value: str, *, check: bool, expected_version: str | None) -> str:
        if not value:
            raise ValueError("a refresh token must not be empty")
        with self._locked(exclusive=True):
            current = self._read()
            current_version = current.version if current else None
            if check and current_version != expected_version:
                raise TokenStoreConflict(
                    f"the GoTo refresh token in {self.description} changed since it was read "
                    f"(version {expected_version} expected, {current_version} found)"
                )
            version = uuid.uuid4().hex
            document = {
                "refresh_token": value,
                "version": version,
                "previous_version": current_version,
                "updated_at": datetime.now(UTC).isoformat(),
            }
            self._replace(json.dumps(document, indent=2))
            return version

    def _read(self) -> StoredToken | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(f"cannot read {self.description}: {exc.strerror}") from None
        try:
            document = json.loads(text)
            value, version = document["refresh_token"], document["version"]
        except (ValueError, KeyError, TypeError):
            raise TokenStoreError(
                f"{self.description} is not a refresh-token file written by this product; "
                "delete it and authorize GoTo again"
            ) from None
        if not isinstance(value, str) or not value or not isinstance(version, str):
            return None
        return StoredToken(value, version)

    def _replace(self, text: str) -> None:
        try:
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:  # mkstemp: mode 0600
                    file.write(text)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            raise TokenStoreError(f"cannot write {self.description}: {exc.strerror}") from None

    @contextlib.contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise TokenStoreError(f"cannot open the lock of {self.description}: {exc.strerror}") from None
        try:
            _lock(handle, exclusive=exclusive)
            try:
                yield
            finally:
                _unlock(handle)
        finally:
            os.close(handle)
