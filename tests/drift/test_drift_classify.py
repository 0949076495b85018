"""The drift decisions, pure (no I/O): matching as adoption compares (userName with ASCII case folded,
externalId case-exact, rows in precedence order), a matched account held by another Entra user, the
inactive accounts nobody accounts for, SKIP_OUT_OF_SCOPE_DELETIONS sparing what a cycle spares, the
deletion guard over orphan deactivations, the estimate's arithmetic."""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.drift.report import Account, DriftReport, Estimate, InScope, Kind, Managed, classify
from provisioning.drift.run import plan_repair
from provisioning.engine.scope import REASON_DISABLED, REASON_NOT_ASSIGNED, ScopeDecision, ScopeKind
from provisioning.mapping.attributes import UserMapping
from provisioning.mapping.file import parse_mapping_text
from provisioning.model import Link

IN = ScopeDecision(True, "assigned directly", True)
MAPPING = """version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
    - {target: externalId, source: mailNickname, matching: 2}
    - {target: displayName, source: displayName}
"""


def mapping() -> UserMapping:
    return parse_mapping_text(MAPPING, kind="yaml", origin="test.yaml").users


def user(n: int, **values: Any) -> InScope:
    source = {"userPrincipalName": f"u{n}@contoso.com", "mailNickname": f"u{n}", "displayName": f"U {n}"}
    return InScope(f"e{n}", {**source, "accountEnabled": True, **values}, IN)


def account(goto_id: str, *, active: bool = True, **values: str) -> Account:
    held: dict[str, Any] = {"userName": None, "externalId": None, "displayName": None, **values}
    return Account(goto_id, held["userName"], active, {**held, "active": active})


def run(
    users: list[InScope], accounts: list[Account], links: dict[str, Link] | None = None, **options: Any
) -> DriftReport:
    report = DriftReport(Estimate(len(accounts), 10.0))
    classify(report, users, accounts, links or {}, mapping(), **options)
    return report


def test_matching_folds_ascii_case_on_username_and_not_on_externalid() -> None:
    report = run(
        [user(1, userPrincipalName="Ann.Lee@Contoso.com"), user(2, mailNickname="ABC")],
        [
            account("g1", userName="ann.lee@contoso.com"),
            account("g2", userName="other@contoso.com", externalId="abc"),
        ],
    )
    missing = {d.entra_id: d for d in report.of(Kind.MISSING)}
    assert missing["e1"].goto_id == "g1" and "adopts" in missing["e1"].detail
    assert missing["e2"].goto_id is None  # externalId is case-exact: "abc" is not "ABC"
    assert [d.goto_id for d in report.of(Kind.ORPHAN)] == ["g2"]


def test_the_first_matching_row_wins() -> None:
    report = run(
        [user(1)],
        [account("by-name", userName="u1@contoso.com"), account("by-external", externalId="u1")],
    )
    [missing] = report.of(Kind.MISSING)
    assert missing.goto_id == "by-name"
    assert [d.goto_id for d in report.of(Kind.ORPHAN)] == ["by-external"]


def test_a_matched_account_linked_to_another_user_is_a_conflict() -> None:
    other = Link("e9", "g1", True, {}, {})
    report = run([user(1)], [account("g1", userName="u1@contoso.com")], {"e9": other})
    [missing] = report.of(Kind.MISSING)
    assert "linked to Entra user e9: a repair fails as MatchingConflict" in missing.detail


def test_inactive_accounts_nobody_accounts_for_are_counted_not_listed() -> None:
    report = run([], [account("g1", userName="gone@contoso.com", active=False)])
    assert report.items == [] and report.inactive_unaccounted == 1


def test_a_linked_account_with_the_mapped_values_is_no_drift() -> None:
    link = Link("e1", "g1", True, {}, {})
    same = account("g1", userName="u1@contoso.com", externalId="u1", displayName="U 1")
    assert run([user(1)], [same], {"e1": link}).items == []
    other = account("g1", userName="u1@contoso.com", externalId="u1", displayName="x")
    edited = run([user(1)], [other], {"e1": link})
    [drift] = edited.of(Kind.EDITED)
    assert [(c.path, c.old, c.new) for c in drift.changes] == [("displayName", "x", "U 1")]
    assert drift.operation is not None and drift.operation.values == {"displayName": "U 1"}


@pytest.mark.parametrize(
    ("decision", "skip", "deactivated"),
    [
        (None, False, True),
        (None, True, False),  # not assigned (or deleted): a cycle with the setting leaves it active
        (ScopeDecision(False, REASON_NOT_ASSIGNED, True, kind=ScopeKind.DEFAULT_ACCESS), True, False),
        (ScopeDecision(False, REASON_DISABLED, True, kind=ScopeKind.DISABLED), True, True),  # always off
    ],
)
def test_skip_out_of_scope_deletions_spares_what_a_cycle_spares(
    decision: ScopeDecision | None, skip: bool, deactivated: bool
) -> None:
    link = Link("e5", "g5", True, {}, {"userPrincipalName": "u5@contoso.com"})
    report = run(
        [],
        [account("g5", userName="u5@contoso.com")],
        {"e5": link},
        out_of_scope={"e5": decision} if decision else {},
        skip_out_of_scope_deletions=skip,
    )
    [orphan] = report.of(Kind.ORPHAN)
    assert orphan.managed is Managed.LINKED and orphan.name == "u5@contoso.com"
    assert (orphan.operation is not None) is deactivated
    if decision is not None:
        assert decision.reason in orphan.detail


def test_the_signed_in_admin_is_never_deactivated() -> None:
    report = run([user(1)], [account("admin", userName="admin@contoso.com")], signed_in="admin")
    [orphan] = report.of(Kind.ORPHAN)
    assert orphan.signed_in and orphan.operation is None
    plan = plan_repair(report, repair=False, deactivate=True, threshold=500)
    assert plan.operations == [] and plan.refused is None


def test_orphan_deactivations_keep_the_deletion_guard() -> None:
    orphans = [account(f"g{n}", userName=f"x{n}@contoso.com") for n in range(3)]
    within = plan_repair(run([user(1)], orphans), repair=False, deactivate=True, threshold=3)
    assert [op.target_id for _, op in within.operations] == ["g0", "g1", "g2"] and within.refused is None
    over = plan_repair(run([user(1)], orphans), repair=True, deactivate=True, threshold=2)
    assert [op.action.value for _, op in over.operations] == ["create"]  # the user's; no orphan
    assert over.refused == "no orphan deactivated: 3 disables/deletes exceed DEPROVISION_THRESHOLD=2"
    empty = plan_repair(run([], orphans), repair=False, deactivate=True, threshold=500)
    assert empty.operations == [] and empty.refused is not None and "no assigned user" in empty.refused


def test_the_estimate() -> None:
    assert Estimate(1001, 10.0).as_dict() == {
        "gotoUsers": 1001,
        "gotoRequests": 12,
        "ratePerSecond": 10.0,
        "seconds": 1.2,
    }
    assert Estimate(0, 10.0).requests == 2  # the count, and one (empty) page
    unknown = Estimate(None, 10.0)
    assert unknown.seconds is None and "unknown" in unknown.line()
