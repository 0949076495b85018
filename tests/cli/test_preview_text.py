"""preview's text for people (pure): an unlinked user's next step says a create may adopt a matching
account (a preview never asks GoTo); the diff's lines name the same mapping, targets no longer
written and users the file cannot map, after the counts."""

from __future__ import annotations

from provisioning.cli.preview import diff_lines, user_lines
from provisioning.engine.scope import AssignmentIndex
from provisioning.mapping.file import parse_mapping_text
from provisioning.model import Assignment, Link
from provisioning.preview import TenantDiff, compare_user, user_preview

USER = "0f5c2b8e-1d2a-4b7e-9a51-3c2d1e0f9a11"
ROWS = """version: 1
users:
  mappings:
    - {target: userName, source: userPrincipalName, matching: 1}
"""
TITLE = '    - {target: title, expression: \'FormatDateTime([hired], , "yyyyMMddHHmmss.fZ", "yyyy")\'}\n'


def test_an_unlinked_user_may_be_created_or_adopted() -> None:
    mapping = parse_mapping_text(ROWS, kind="yaml", origin="m.yaml").users
    index = AssignmentIndex([Assignment("a1", USER, "User", "role-1")], {})
    read = {"userPrincipalName": "ada@contoso.com", "accountEnabled": True}
    lines = user_lines({"mappings": "m.yaml", **user_preview(USER, read, None, index, mapping).as_dict()})
    assert lines[0] == f"user {USER} (ada@contoso.com) under m.yaml"
    assert lines[1] == "scope: in scope: assigned directly with app role role-1"
    assert lines[-1] == (
        "not linked to a GoTo account; the next cycle: create: assigned directly with app role role-1"
        " (or adopt a GoTo account that matches, if one exists)"
    )


def test_the_diff_names_dropped_targets_and_users_it_cannot_map() -> None:
    nickname = "    - {target: nickName, source: mailNickname}\n"
    deployed = parse_mapping_text(ROWS + nickname, kind="yaml", origin="a")
    new = parse_mapping_text(ROWS + TITLE, kind="yaml", origin="b")
    diff = TenantDiff.between(deployed.users, new.users, origins=("a.yaml", "b.yaml"))
    index = AssignmentIndex([Assignment("a1", USER, "User", "role-1")], {})
    link = Link(USER, "g1", True, {"userName": "ada@contoso.com"}, {})
    read = {"userPrincipalName": "ada@contoso.com", "accountEnabled": True, "hired": "soon"}
    diff.add(compare_user(USER, read, link, index, deployed.users, new.users))
    diff.users_read = 1
    lines = diff_lines(diff.as_dict())
    assert lines[:3] == [
        "diff: a.yaml (deployed) -> b.yaml",
        "read 1 users: 1 assigned, 1 linked and in scope under both",
        "users whose payload changes: 0",
    ]
    assert "no longer written (GoTo keeps its current values): nickName" in lines
    assert "users FILE cannot map (a cycle would fail them): 1" in lines
    failure = "  ada@contoso.com: expression: at column 1: FormatDateTime: 'soon'"
    assert any(line.startswith(failure) for line in lines)
    same = TenantDiff.between(deployed.users, deployed.users, origins=("a.yaml", "a.yaml"))
    assert "the two files mean the same mapping: deploying it rewrites nothing" in diff_lines(same.as_dict())
