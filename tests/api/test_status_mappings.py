"""GET /api/status says which mapping cycles use, why none runs when the file is broken, and when a
changed file makes the next cycle a full one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from provisioning.api.status import build_status
from provisioning.cli.render import render_status
from provisioning.config import Settings
from provisioning.engine.checkpoint import MAPPING
from provisioning.mapping.file import load_default
from provisioning.state.memory import MemoryState

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GOOD = """version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
"""


async def test_a_broken_file_is_shown_with_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "m.yaml"
    broken.write_text(
        GOOD + "    - {target: displayName, source: displayName, apply: sometimes}\n", encoding="utf-8"
    )
    settings = Settings(service_principal_id="x", mappings_file=str(broken))
    async with MemoryState() as state:
        status = await build_status(state=state, settings=settings, now=NOW)
    mappings = status["mappings"]
    assert mappings["ok"] is False and mappings["fingerprint"] is None
    assert str(broken) in mappings["file"]
    assert any("users.mappings[1].apply" in p for p in mappings["problems"])
    assert "is broken, no cycle runs" in "\n".join(render_status(status))


async def test_a_changed_file_means_the_next_cycle_is_full(tmp_path: Path) -> None:
    changed = tmp_path / "m.yaml"
    changed.write_text(GOOD, encoding="utf-8")
    async with MemoryState() as state:
        await state.set_watermark("users", "https://graph/delta?token=1")  # users were read before
        await state.set_control(MAPPING, {"Fingerprint": load_default().users.fingerprint})
        default = await build_status(state=state, settings=Settings(service_principal_id="x"), now=NOW)
        assert default["mappings"]["ok"] is True and default["mappings"]["fullCycleNext"] is False
        assert default["mappings"]["applied"] == default["mappings"]["fingerprint"]
        settings = Settings(service_principal_id="x", mappings_file=str(changed))
        status = await build_status(state=state, settings=settings, now=NOW)
    assert status["mappings"]["fullCycleNext"] is True and status["mappings"]["file"] == str(changed)
    assert "the next cycle is a full one" in "\n".join(render_status(status))


async def test_a_deployment_that_read_users_before_mappings_were_kept_gets_a_full_cycle() -> None:
    async with MemoryState() as state:
        fresh = await build_status(state=state, settings=Settings(service_principal_id="x"), now=NOW)
        await state.set_watermark("users", "https://graph/delta?token=1")
        upgraded = await build_status(state=state, settings=Settings(service_principal_id="x"), now=NOW)
    assert fresh["mappings"]["fullCycleNext"] is False  # the first cycle is an initial one anyway
    assert upgraded["mappings"]["applied"] is None and upgraded["mappings"]["fullCycleNext"] is True
