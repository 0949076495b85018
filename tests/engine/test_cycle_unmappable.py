"""A user the mapping cannot be evaluated for (an expression fails on their data) is a recorded
failure of that user, retried by the ladder; the cycle goes on for everyone else."""

from __future__ import annotations

from provisioning.engine.records import UNMAPPABLE_CODE
from provisioning.mapping.attributes import UserMapping
from provisioning.mapping.file import parse_mapping_text
from tests.engine.conftest import Bench

WITH_HIRE_DATE = """
version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: displayName, source: displayName}
    - {target: title, expression: 'FormatDateTime([hired], , "yyyyMMdd", "yyyy-MM-dd")'}
"""


def mapping() -> UserMapping:
    return parse_mapping_text(WITH_HIRE_DATE, kind="yaml", origin="test").users


async def test_one_unmappable_user_fails_alone_and_is_retried(bench: Bench) -> None:
    ids = bench.seed(4)
    for user_id in ids:
        bench.source.update_user(user_id, hired="20260102")
    bench.source.update_user(ids[1], hired="not a date")
    result = await bench.cycle(mapping=mapping())
    assert result.cycle.status == "finished-with-failures"
    assert result.counts.to_dict() == {"create/success": 3, "other/failure": 1}
    records = await bench.state.list_audit_records(result.cycle.id)
    failed = [r for r in records if r.status == "failure"]
    assert [(r.source_id, r.error_code) for r in failed] == [(ids[1], UNMAPPABLE_CODE)]
    assert "does not match the date format" in (failed[0].error_reason or "")
    assert ids[1] in await bench.state.list_retries()

    bench.source.update_user(ids[1], hired="20260301")
    fixed = await bench.cycle(mapping=mapping())
    assert fixed.counts.to_dict() == {"create/success": 1}
    assert await bench.state.list_retries() == {}


async def test_a_dry_run_shows_the_failure_and_climbs_no_ladder(bench: Bench) -> None:
    ids = bench.seed(2)
    bench.source.update_user(ids[0], hired="not a date")
    bench.source.update_user(ids[1], hired="20260102")
    preview = await bench.cycle(mapping=mapping(), dry_run=True)
    assert preview.counts.to_dict() == {"create/planned": 1, "other/failure": 1}
    assert await bench.state.list_retries() == {}
    assert bench.target.accounts == {}
