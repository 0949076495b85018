"""Both refresh-token stores: versions, compare-and-set, failures; the file's safety; Key Vault's tags."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import stat
import time
from pathlib import Path

import pytest

from provisioning.goto_auth import (
    FileTokenStore,
    KeyVaultTokenStore,
    StoredToken,
    TokenStore,
    TokenStoreConflict,
    TokenStoreError,
)
from provisioning.goto_auth.keyvault_store import PREVIOUS_VERSION_TAG
from sandbox.keyvault import KeyVaultSimulator
from tests.goto_auth.conftest import keyvault_store


async def test_an_empty_store_has_no_token_and_accepts_a_first_one(token_store: TokenStore) -> None:
    assert await token_store.get() is None

    version = await token_store.compare_and_set("first-token", expected_version=None)

    stored = await token_store.get()
    assert stored is not None and (stored.value, stored.version) == ("first-token", version)
    assert "first-token" not in repr(stored)


async def test_compare_and_set_refuses_a_stale_version_and_keeps_the_newer_token(
    token_store: TokenStore,
) -> None:
    v1 = await token_store.put("one")
    v2 = await token_store.compare_and_set("two", expected_version=v1)

    with pytest.raises(TokenStoreConflict, match="changed since it was read"):
        await token_store.compare_and_set("stale", expected_version=v1)
    with pytest.raises(TokenStoreConflict):
        await token_store.compare_and_set("stale", expected_version=None)

    stored = await token_store.get()
    assert stored is not None and (stored.value, stored.version) == ("two", v2)


async def test_put_replaces_whatever_is_stored(token_store: TokenStore) -> None:
    await token_store.put("old")
    version = await token_store.put("new-consent")

    stored = await token_store.get()
    assert stored is not None and (stored.value, stored.version) == ("new-consent", version)


class SlowReadingFileStore(FileTokenStore):
    """Dawdles between reading the current version and writing: without the lock, every writer
    would see the same version and every one would "win"."""

    def _read(self) -> StoredToken | None:
        current = super()._read()
        time.sleep(0.05)
        return current


async def test_of_concurrent_writers_with_the_same_version_one_wins_in_the_file(tmp_path: Path) -> None:
    stores = [SlowReadingFileStore(tmp_path / "rt.json") for _ in range(4)]
    base = await stores[0].put("base")

    results = await asyncio.gather(
        *(s.compare_and_set(f"token-{i}", expected_version=base) for i, s in enumerate(stores)),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1
    assert all(isinstance(r, TokenStoreConflict) for r in results if not isinstance(r, str))
    stored = await stores[0].get()
    assert stored is not None and stored.version == winners[0]


def _write_in_another_process(path: str, expected: str, value: str, results: multiprocessing.Queue) -> None:
    try:
        store = SlowReadingFileStore(path)
        results.put(asyncio.run(store.compare_and_set(value, expected_version=expected)))
    except TokenStoreConflict:
        results.put("conflict")


def test_the_file_lock_holds_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "rt.json"
    base = asyncio.run(FileTokenStore(path).put("base"))
    context = multiprocessing.get_context("fork")  # spawn would re-import the world (seconds)
    results: multiprocessing.Queue = context.Queue()
    workers = [
        context.Process(target=_write_in_another_process, args=(str(path), base, f"p{i}", results))
        for i in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert outcomes.count("conflict") == 3
    stored = asyncio.run(FileTokenStore(path).get())
    assert stored is not None and stored.version in outcomes


async def test_the_file_is_private_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "sandbox" / "rt.json"
    store = FileTokenStore(path)
    await store.put("one")
    await store.put("two")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["rt.json", "rt.json.lock"]  # no temp files left
    assert json.loads(path.read_text())["refresh_token"] == "two"


async def test_an_unreadable_file_is_a_store_error_that_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "rt.json"
    path.write_text("{not json")

    with pytest.raises(TokenStoreError, match="authorize GoTo again"):
        await FileTokenStore(path).get()


async def test_key_vault_versions_carry_the_version_they_replace(keyvault_sim: KeyVaultSimulator) -> None:
    store = keyvault_store(keyvault_sim, "goto-refresh-token")
    try:
        v1 = await store.put("one")
        v2 = await store.compare_and_set("two", expected_version=v1)
    finally:
        await store.close()

    versions = keyvault_sim.vault.versions("goto-refresh-token")
    assert [v.version for v in versions] == [v1, v2]
    assert versions[1].tags == {PREVIOUS_VERSION_TAG: v1}
    assert versions[1].content_type == "GoTo OAuth refresh token"
    assert "goto-refresh-token" in store.description and keyvault_sim.url in store.description


async def test_a_version_written_concurrently_after_ours_is_reported_and_stays_current(
    keyvault_sim: KeyVaultSimulator,
) -> None:
    """Step 3 of the Key Vault scheme: read back, and notice a writer that landed after us."""
    name = "goto-refresh-token"
    store = keyvault_store(keyvault_sim, name)
    base = await store.put("base")
    original_set = store._set

    async def set_then_another_writer(value: str, *, replaces: str | None) -> str:
        written = await original_set(value, replaces=replaces)
        keyvault_sim.vault.set(name, "from-another-instance")
        return written

    store._set = set_then_another_writer  # type: ignore[method-assign]
    try:
        with pytest.raises(TokenStoreConflict, match="newest one stays current"):
            await store.compare_and_set("ours", expected_version=base)
        stored = await store.get()
    finally:
        await store.close()
    assert stored is not None and stored.value == "from-another-instance"


async def test_key_vault_refusing_access_is_a_store_error_with_the_role_to_grant(
    keyvault_sim: KeyVaultSimulator,
) -> None:
    store = keyvault_store(keyvault_sim)
    keyvault_sim.app.fail_next(403, count=2)
    try:
        with pytest.raises(TokenStoreError, match="Key Vault Secrets Officer") as reading:
            await store.get()
        with pytest.raises(TokenStoreError, match="cannot write") as writing:
            await store._set("value-that-must-not-leak", replaces=None)
    finally:
        await store.close()
    assert reading.value.status == 403
    assert "value-that-must-not-leak" not in str(writing.value)


async def test_the_key_vault_store_closes_what_it_owns(keyvault_sim: KeyVaultSimulator) -> None:
    store = keyvault_store(keyvault_sim)
    assert isinstance(store, KeyVaultTokenStore)
    await store.put("x")
    await store.close()

    with pytest.raises(Exception, match=r"closed|Session"):
        await store.get()
