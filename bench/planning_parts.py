"""CPU per user of each pure stage of reading and planning a tenant, without HTTP or the engine.

The planning row (`python -m bench.scenarios planning`) measures a whole dry run on a shared
machine, where one stage's gain drowns in noise; this times each stage alone, best of `--rounds`,
on the simulator's tenant (`sandbox.graph.Tenant.seed`, as the row seeds it) turned into Graph's JSON
pages: decoding and parsing users-delta pages and member pages (graph.py), building the scope
index, deciding scope, planning creates (plan_user with the packaged mapping) and keeping the plan
(PlannedOperations, which pickles past its first 1,000 operations), and recording a create (its
audit record built and turned into a Table row). `--no-gc` leaves the cyclic
collector out, whose share grows with every object a stage keeps.

    python -m bench.planning_parts --users 20000 [--rounds 5] [--no-gc]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from provisioning.engine.apply import Outcome
from provisioning.engine.plan import Candidate, plan_user
from provisioning.engine.planned import PlannedOperations
from provisioning.engine.records import audit_record
from provisioning.engine.scope import AssignmentIndex, decide_scope
from provisioning.mapping.file import load_default
from provisioning.model import Assignment, AuditStatus, CycleRecord
from provisioning.source import graph
from provisioning.state.codecs import audit_to_entity
from sandbox.graph.tenant import Tenant

PAGE_SIZE = 100  # the simulator's users-delta page, as in the planning row
MEMBER_PAGE_SIZE = graph.PAGE_SIZE
GROUPS = 10
ROLE = "11111111-1111-1111-1111-111111111111"


def _timed(label: str, users: int, rounds: int, run: Callable[[], Any]) -> Any:
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.process_time()
        result = run()
        best = min(best, time.process_time() - started)
    print(f"{label:8s} {1e6 * best / users:7.2f} µs per user")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.planning_parts", description=__doc__)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-gc", action="store_true", help="time with the cyclic collector off")
    args = parser.parse_args(argv)

    mapping = load_default().users
    select = mapping.graph_select()
    tenant = Tenant()
    tenant.seed(args.users, GROUPS, seed=42)
    entries = [{name: user.get(name) for name in select} for user in tenant.users()]
    user_pages = [
        json.dumps({"value": entries[i : i + PAGE_SIZE], "@odata.nextLink": "next"}).encode()
        for i in range(0, len(entries), PAGE_SIZE)
    ]
    groups = [g["id"] for g in tenant.groups()]
    members = {g: [m for m, _ in tenant.members(g)] for g in groups}
    member_pages = [
        json.dumps(
            {
                "value": [
                    {"@odata.type": "#microsoft.graph.user", "id": m} for m in ids[i : i + MEMBER_PAGE_SIZE]
                ]
            }
        ).encode()
        for ids in members.values()
        for i in range(0, len(ids), MEMBER_PAGE_SIZE)
    ]
    assignments = [Assignment(f"a{i}", g, "Group", ROLE, f"Group {i}") for i, g in enumerate(groups)]
    print(
        f"{args.users:,} users, {sum(map(len, members.values())):,} memberships in {len(groups)} groups; "
        f"best of {args.rounds}, GC {'off' if args.no_gc else 'on'}"
    )
    if args.no_gc:
        gc.disable()
    n, rounds = args.users, args.rounds

    def parse_users() -> list[Any]:
        return [graph._user(item, "users delta") for page in user_pages for item in json.loads(page)["value"]]

    def parse_members() -> list[Any]:
        return [graph._member(row, "members") for page in member_pages for row in json.loads(page)["value"]]

    changes = _timed("parse", n, rounds, parse_users)
    _timed("members", n, rounds, parse_members)
    index = _timed(
        "index", n, rounds, lambda: AssignmentIndex(assignments, {g: set(m) for g, m in members.items()})
    )
    scopes = _timed(
        "scope", n, rounds, lambda: [decide_scope(c.id, index, source=c.attributes) for c in changes]
    )
    candidates = [Candidate(c.id, dict(c.attributes), s, None) for c, s in zip(changes, scopes, strict=True)]
    operations = _timed("plan", n, rounds, lambda: [plan_user(c, mapping) for c in candidates])

    def keep() -> PlannedOperations:
        plan = PlannedOperations()
        for i in range(0, len(operations), PAGE_SIZE):
            plan.extend(operations[i : i + PAGE_SIZE])
        return plan

    _timed("planned", n, rounds, keep)
    cycle = CycleRecord(id=str(uuid.uuid4()), started="2026-12-03T00:00:00+00:00", kind="initial")

    def record() -> list[dict[str, Any]]:
        return [
            audit_to_entity(audit_record(cycle, Outcome(op, AuditStatus.SUCCESS, "create", f"goto-{i}")))
            for i, op in enumerate(operations)
            if op is not None
        ]

    _timed("record", n, rounds, record)


if __name__ == "__main__":
    main()
