"""The drift report, pure: what GoTo holds against what the mapping produces for the users in scope.

Three kinds (docs/drift.md):
- `orphan`: an active GoTo account no in-scope Entra user accounts for (neither linked to one nor
  matching an unlinked one), with whether this function ever managed it (a link, an audit record);
- `edited`: a linked account whose GoTo values differ from what the mapping writes on update;
- `missing`: an in-scope user with no GoTo account (none linked, or the linked one is gone).

`classify` takes what was read (in-scope users, GoTo accounts, links) and decides; the plan's own
comparison (`plan_user`) finds the edited values, with the link's "last written" replaced by what GoTo
holds now, so the report and a repair agree with what a cycle would send.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from provisioning.engine.plan import Action, Candidate, Change, Operation, plan_user
from provisioning.engine.scope import ScopeDecision
from provisioning.mapping.attributes import UserMapping
from provisioning.mapping.expressions import ExpressionError
from provisioning.model import Link

GOTO_PAGE_SIZE = 100  # users per GET /Users page (GoTo's cap, dialect.max_page_size)
EDITED_REASON = "edited in GoTo: differs from what the mapping produces (drift repair)"
MISSING_REASON = "in scope with no GoTo account (drift repair)"
ORPHAN_REASON = "orphan: no in-scope Entra user accounts for this GoTo account (deactivated on request)"
SIGNED_IN = "the signed-in GoTo admin (Users/me): never deactivated"
KEPT = "SKIP_OUT_OF_SCOPE_DELETIONS keeps it active: not deactivated"


class Kind(StrEnum):
    ORPHAN = "orphan"
    EDITED = "edited"
    MISSING = "missing"


class Managed(StrEnum):
    """Whether this function ever managed an orphan."""

    LINKED = "linked"  # a link to an Entra user names it (that user is out of scope, or gone)
    AUDIT = "audit"  # no link, but an audit record of this function names it
    NEVER = "never"  # no link, no audit record
    UNCHECKED = "unchecked"  # no link; past the number of audit look-ups a report makes


@dataclass(frozen=True, slots=True)
class Estimate:
    """How long reading GoTo takes at GOTO_RATE_LIMIT_PER_SECOND: one request to count, one a page."""

    goto_users: int | None  # None: GoTo did not say (no totalResults)
    rate_per_second: float
    page_size: int = GOTO_PAGE_SIZE

    @property
    def requests(self) -> int | None:
        if self.goto_users is None:
            return None
        return 1 + max(1, math.ceil(self.goto_users / self.page_size))

    @property
    def seconds(self) -> float | None:
        requests = self.requests
        return None if requests is None else round(requests / self.rate_per_second, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "gotoUsers": self.goto_users,
            "gotoRequests": self.requests,
            "ratePerSecond": self.rate_per_second,
            "seconds": self.seconds,
        }

    def line(self) -> str:
        if self.seconds is None:
            return "GoTo did not say how many users it holds: the time of the read is unknown"
        return (
            f"reading {self.goto_users} GoTo users: {self.requests} requests at "
            f"{self.rate_per_second:g}/s (GOTO_RATE_LIMIT_PER_SECOND), about {self.seconds:g} s"
        )


@dataclass(frozen=True, slots=True)
class Account:
    """A GoTo account as read: its values by the mapped SCIM paths (None when absent)."""

    id: str
    user_name: str | None
    active: bool
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class InScope:
    """An in-scope Entra user: its Graph values and the scope decision."""

    id: str
    source: Mapping[str, Any]
    scope: ScopeDecision

    @property
    def name(self) -> str:
        return str(self.source.get("userPrincipalName") or self.source.get("displayName") or self.id)


@dataclass(frozen=True, slots=True)
class Drift:
    kind: Kind
    detail: str
    entra_id: str | None = None
    name: str | None = None  # the Entra user's UPN
    goto_id: str | None = None
    goto_user_name: str | None = None
    active: bool | None = None  # the GoTo account's
    managed: Managed | None = None  # orphans
    changes: tuple[Change, ...] = ()  # edited: GoTo's value -> the mapping's
    signed_in: bool = False  # the GoTo admin the token belongs to
    operation: Operation | None = None  # what a repair (or a deactivation) sends
    source: Mapping[str, Any] | None = None  # the Entra values (a repair's link snapshot)
    link: Link | None = None  # the stored link, as the recorder updates it

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "entraId": self.entra_id,
            "userPrincipalName": self.name,
            "gotoId": self.goto_id,
            "gotoUserName": self.goto_user_name,
            "gotoActive": self.active,
            "managed": self.managed.value if self.managed else None,
            "signedInAdmin": self.signed_in,
            "detail": self.detail,
            "changes": [{"attribute": c.path, "goto": c.old, "mapping": c.new} for c in self.changes],
        }


@dataclass(slots=True)
class DriftReport:
    estimate: Estimate
    users_read: int = 0  # Entra users on the delta pages
    in_scope: int = 0
    goto_accounts: int = 0  # the accounts GoTo listed
    inactive_unaccounted: int = 0  # inactive accounts no in-scope user accounts for (deprovisioned)
    items: list[Drift] = field(default_factory=list)
    unmappable: list[tuple[str, str]] = field(default_factory=list)  # (user, the mapping's error)
    seconds: float = 0.0  # how long the read took

    def of(self, kind: Kind) -> list[Drift]:
        return [d for d in self.items if d.kind is kind]

    def counts(self) -> dict[str, int]:
        return {kind.value: len(self.of(kind)) for kind in Kind}

    def as_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate.as_dict(),
            "seconds": round(self.seconds, 1),
            "entraUsersRead": self.users_read,
            "inScopeUsers": self.in_scope,
            "gotoAccounts": self.goto_accounts,
            "inactiveUnaccounted": self.inactive_unaccounted,
            "counts": self.counts(),
            "drift": [d.as_dict() for d in self.items],
            "unmappable": [{"user": u, "error": e} for u, e in self.unmappable],
        }


# -- deciding (pure) ---------------------------------------------------------------------------------


def _key(path: str, value: Any) -> Any:
    """How a matching value is compared: externalId case-exact, other strings with ASCII letters
    folded (caseExact=false, as the engine's adoption compares them: patch_forms.same_name)."""
    if isinstance(value, str) and path.lower() != "externalid":
        return "".join(ch.lower() if ch.isascii() else ch for ch in value)
    return value


class _Matcher:
    """The GoTo accounts by each matching attribute's value, first listed first."""

    def __init__(self, mapping: UserMapping, accounts: Sequence[Account]) -> None:
        self.rows = [row.target for row in mapping.matching]
        self.by_row: dict[str, dict[Any, Account]] = {path: {} for path in self.rows}
        for account in accounts:
            for path in self.rows:
                value = account.values.get(path)
                if value is not None:
                    self.by_row[path].setdefault(_key(path, value), account)

    def find(self, values: Mapping[str, Any]) -> Account | None:
        """The account the first matching row finds, rows in precedence order, null values skipped."""
        for path in self.rows:
            value = values.get(path)
            found = self.by_row[path].get(_key(path, value)) if value is not None else None
            if found is not None:
                return found
        return None


def classify(
    report: DriftReport,
    users: Sequence[InScope],
    accounts: Sequence[Account],
    links: Mapping[str, Link],
    mapping: UserMapping,
    *,
    signed_in: str | None = None,
    out_of_scope: Mapping[str, ScopeDecision] | None = None,
    skip_out_of_scope_deletions: bool = False,
) -> None:
    """Add every drift to `report`. `links` by Entra id; `out_of_scope`: the assigned users out of
    scope, to say why a linked orphan's user no longer accounts for it. With
    SKIP_OUT_OF_SCOPE_DELETIONS a linked orphan a cycle leaves active on purpose is not deactivated."""
    by_id = {a.id: a for a in accounts}
    by_target = {link.target_id: link for link in links.values()}
    matcher = _Matcher(mapping, accounts)
    accounted: set[str] = set()
    report.in_scope, report.goto_accounts = len(users), len(accounts)
    for user in users:
        link = links.get(user.id)
        account = by_id.get(link.target_id) if link is not None else None
        try:
            if account is not None:
                accounted.add(account.id)
                edited = _edited(user, account, link, mapping)
                if edited is not None:
                    report.items.append(edited)
                continue
            missing = _missing(user, link, matcher, by_target, mapping)
        except ExpressionError as exc:  # a cycle fails this user as unmappable too
            report.unmappable.append((user.name, str(exc)))
            continue
        if missing.goto_id is not None:
            accounted.add(missing.goto_id)
        report.items.append(missing)
    for account in accounts:
        if account.id in accounted:
            continue
        if not account.active:
            report.inactive_unaccounted += 1
            continue
        link = by_target.get(account.id)
        decision = (out_of_scope or {}).get(link.source_id) if link is not None else None
        kept = (
            skip_out_of_scope_deletions
            and link is not None
            and (decision is None or decision.kind.out_of_scope)
        )
        report.items.append(_orphan(account, link, signed_in, decision, kept=kept))


def _edited(user: InScope, account: Account, link: Link | None, mapping: UserMapping) -> Drift | None:
    """The plan's comparison, with GoTo's values in place of what was last written."""
    now = Link(user.id, account.id, account.active, dict(account.values), dict(user.source))
    op = plan_user(Candidate(user.id, user.source, user.scope, now), mapping)
    if op is None or op.action is not Action.UPDATE:
        return None
    paths = ", ".join(c.path for c in op.changes)
    detail = f"GoTo holds other values for {paths}"
    return _of_user(Kind.EDITED, detail, user, account, replace(op, reason=EDITED_REASON), link)


def _of_user(
    kind: Kind, detail: str, user: InScope, account: Account | None, op: Operation, link: Link | None
) -> Drift:
    """A drift of an in-scope user, with the account it concerns (if any) and its repair."""
    return Drift(
        kind,
        detail,
        user.id,
        user.name,
        account.id if account is not None else None,
        account.user_name if account is not None else None,
        account.active if account is not None else None,
        changes=op.changes if kind is Kind.EDITED else (),
        operation=op,
        source=user.source,
        link=link,
    )


def _missing(
    user: InScope,
    link: Link | None,
    matcher: _Matcher,
    by_target: Mapping[str, Link],
    mapping: UserMapping,
) -> Drift:
    op = plan_user(Candidate(user.id, user.source, user.scope, None), mapping)
    assert op is not None and op.action is Action.CREATE  # in scope and unlinked: always a create
    found = matcher.find(op.desired)
    gone = f"its linked GoTo account {link.target_id} is gone" if link is not None else "no linked account"
    detail = f"{gone}: a repair creates the account"
    if found is not None:
        holder = by_target.get(found.id)
        detail = f"{gone}; GoTo account {found.id} matches it: a repair adopts it"
        if holder is not None and holder.source_id != user.id:
            detail = (
                f"{gone}; GoTo account {found.id} matches it but is linked to Entra user "
                f"{holder.source_id}: a repair fails as MatchingConflict"
            )
    return _of_user(Kind.MISSING, detail, user, found, replace(op, reason=MISSING_REASON), link)


def _orphan(
    account: Account,
    link: Link | None,
    signed_in: str | None,
    decision: ScopeDecision | None,
    *,
    kept: bool = False,
) -> Drift:
    managed, detail = Managed.NEVER, "no link and no audit record: never managed by this function"
    if link is not None:
        managed = Managed.LINKED
        why = decision.reason if decision is not None else "not assigned to the app, or deleted in Entra"
        detail = f"linked to Entra user {link.source_id}, which is out of scope ({why})"
    is_admin = signed_in is not None and account.id == signed_in
    if is_admin:
        detail = f"{detail}; {SIGNED_IN}"
    elif kept:
        detail = f"{detail}; {KEPT}"
    op = Operation(
        Action.DISABLE,
        link.source_id if link is not None else "",
        ORPHAN_REASON,
        account.id,
        account.user_name,
        {"active": False},
        (Change("active", True, False),),
    )
    return Drift(
        Kind.ORPHAN,
        detail,
        link.source_id if link is not None else None,
        _upn(link),
        account.id,
        account.user_name,
        account.active,
        managed,
        signed_in=is_admin,
        operation=None if is_admin or kept else op,
        link=link,
    )


def _upn(link: Link | None) -> str | None:
    name = link.source.get("userPrincipalName") if link is not None else None
    return str(name) if name else None


def audited(drift: Drift, record: tuple[str, str, str] | None, *, checked: bool) -> Drift:
    """An unlinked orphan once audit records were looked up: `record` = (action, when, Entra id) of
    the newest naming it."""
    if drift.managed is not Managed.NEVER:
        return drift
    if not checked:
        return replace(drift, managed=Managed.UNCHECKED, detail="no link; audit records not looked up")
    if record is None:
        return drift
    action, when, entra_id = record
    detail = f"no link, but this function's audit records name it (last: {action} at {when})"
    if drift.signed_in:
        detail = f"{detail}; {SIGNED_IN}"
    return replace(drift, managed=Managed.AUDIT, detail=detail, entra_id=entra_id or None)


# -- text and CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "kind",
    "entraId",
    "userPrincipalName",
    "gotoId",
    "gotoUserName",
    "gotoActive",
    "managed",
    "signedInAdmin",
    "changes",
    "detail",
)


def _value(value: Any) -> str:
    return "" if value is None else str(value)


def changes_text(changes: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(f"{c['attribute']}: {c['goto']!r} -> {c['mapping']!r}" for c in changes)


def drift_csv(document: Mapping[str, Any]) -> str:
    """A header row, then one row per drift (the JSON document's `drift`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in document["drift"]:
        row = [item[c] if c != "changes" else changes_text(item[c]) for c in CSV_COLUMNS]
        writer.writerow([_value(v) if not isinstance(v, bool) else str(v).lower() for v in row])
    return buffer.getvalue()


def drift_lines(document: Mapping[str, Any]) -> list[str]:
    """The report (the JSON document's shape) as lines: counts first, then one line per drift."""
    counts = document["counts"]
    lines = [
        f"read {document['entraUsersRead']} Entra users ({document['inScopeUsers']} in scope) and "
        f"{document['gotoAccounts']} GoTo accounts in {document['seconds']:g} s",
        f"orphans: {counts['orphan']}, edited in GoTo: {counts['edited']}, "
        f"in scope without an account: {counts['missing']}",
    ]
    if document["inactiveUnaccounted"]:
        inactive = document["inactiveUnaccounted"]
        lines.append(f"inactive GoTo accounts no in-scope user accounts for: {inactive}")
    for item in document["drift"]:
        who = item["userPrincipalName"] or item["entraId"] or "-"
        account = f"{item['gotoUserName'] or '-'} ({item['gotoId']})" if item["gotoId"] else "-"
        extra = f" managed={item['managed']}" if item["managed"] else ""
        lines.append(f"{item['kind']:<8} {who}  GoTo {account}{extra}: {item['detail']}")
        if item["changes"]:
            lines.append(f"         {changes_text(item['changes'])}")
    for failing in document["unmappable"]:
        lines.append(f"unmappable {failing['user']}: {failing['error']}")
    return lines
