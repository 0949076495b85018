"""Opaque skip/delta tokens kept server side, so links can expire or be unknown exactly as in Graph.

A delta token stands for (the first call's query, the tenant version the round was computed at).
A skip token stands for (a materialised result set, a page index): a round is computed once, at
its first request, and its pages are then served from that snapshot, so paging is stable while
the tenant changes; those changes show up in the next round.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal

Resource = Literal["users", "groups"]
# How many materialised result sets to keep; older ones' skip tokens become unknown.
MAX_RESULT_SETS = 32


@dataclass(frozen=True)
class DeltaQuery:
    """What the first delta call fixed: the resource, `$select` and the `$filter` ids."""

    resource: Resource
    select: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DeltaCursor:
    query: DeltaQuery
    version: int


@dataclass
class ResultSet:
    """The pages of one delta round or one paged listing, frozen when the first page was asked for."""

    scope: str  # "users", "groups", or a listing such as "appRoleAssignedTo:<sp id>"
    pages: list[list[dict[str, Any]]]
    context: str
    end: DeltaCursor | None = None  # set on delta rounds: what the final page's deltaLink stands for
    minimal: bool = False
    page_tokens: dict[int, str] = field(default_factory=dict)
    loop_tokens: list[str] = field(default_factory=list)  # next_link_loop="endless": one per replay
    delta_token: str | None = None


class TokenError(Exception):
    """A token that is unknown (never issued, evicted) or expired; `gone` selects the 410 answer."""

    def __init__(self, message: str, *, gone: bool = False, query: DeltaQuery | None = None) -> None:
        super().__init__(message)
        self.gone = gone
        self.query = query


class TokenStore:
    """Issues and resolves tokens; `expire()` invalidates every token issued so far."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deltas: dict[str, DeltaCursor] = {}
        self._pages: dict[str, tuple[ResultSet, int]] = {}
        self._sets: OrderedDict[int, ResultSet] = OrderedDict()
        self._expired: dict[str, tuple[bool, DeltaQuery | None]] = {}

    def delta_token(self, result: ResultSet) -> str:
        """The token of a round's deltaLink; the same on every replay of the final page."""
        assert result.end is not None
        with self._lock:
            if result.delta_token is None:
                result.delta_token = self._new_delta(result.end)
            return result.delta_token

    def latest_token(self, cursor: DeltaCursor) -> str:
        with self._lock:
            return self._new_delta(cursor)

    def page_token(self, result: ResultSet, index: int) -> str:
        """The skip token of page `index` (> 0) of `result`; the same on every replay."""
        with self._lock:
            token = result.page_tokens.get(index)
            if token is None:
                token = secrets.token_urlsafe(24)
                result.page_tokens[index] = token
                self._pages[token] = (result, index)
                self._remember(result)
            return token

    def replay_token(self, result: ResultSet, index: int) -> str:
        """A new skip token for page `index` on every call: a chain of links that never ends."""
        with self._lock:
            token = secrets.token_urlsafe(24)
            result.loop_tokens.append(token)
            self._pages[token] = (result, index)
            self._remember(result)
            return token

    def remember(self, result: ResultSet) -> None:
        with self._lock:
            self._remember(result)

    def resolve_delta(self, token: str, resource: Resource) -> DeltaCursor:
        with self._lock:
            cursor = self._deltas.get(token)
            if cursor is None or cursor.query.resource != resource:
                raise self._error(token)
            return cursor

    def resolve_page(self, token: str, scope: str) -> tuple[ResultSet, int]:
        with self._lock:
            found = self._pages.get(token)
            if found is None or found[0].scope != scope:
                raise self._error(token)
            return found

    def expire(self, *, gone: bool = False) -> int:
        """Invalidate every delta round's token issued so far (listings' skip tokens are kept)."""
        with self._lock:
            for token, cursor in self._deltas.items():
                self._expired[token] = (gone, cursor.query)
            self._deltas.clear()
            for token, (result, _) in list(self._pages.items()):
                if result.end is not None:
                    self._expired[token] = (gone, result.end.query)
                    del self._pages[token]
            for key in [k for k, r in self._sets.items() if r.end is not None]:
                del self._sets[key]
            return len(self._expired)

    def clear(self) -> None:
        with self._lock:
            self._deltas.clear()
            self._pages.clear()
            self._sets.clear()
            self._expired.clear()

    def _new_delta(self, cursor: DeltaCursor) -> str:
        token = secrets.token_urlsafe(24)
        self._deltas[token] = cursor
        return token

    def _remember(self, result: ResultSet) -> None:
        key = id(result)
        self._sets[key] = result
        self._sets.move_to_end(key)
        while len(self._sets) > MAX_RESULT_SETS:
            _, evicted = self._sets.popitem(last=False)
            for token in [*evicted.page_tokens.values(), *evicted.loop_tokens]:
                self._pages.pop(token, None)

    def _error(self, token: str) -> TokenError:
        expired = self._expired.get(token)
        if expired is not None:
            gone, query = expired
            return TokenError("the delta token has expired", gone=gone, query=query)
        return TokenError("the token is unknown to this tenant")
