"""A scope token with a trailing newline is refused however the pattern is applied: `^…$` lets
`match`/`search` accept "x\\n", `\\A…\\Z` does not. (GOTO_OAUTH_SCOPE is split on whitespace before
the check, and the settings reader strips it; this guards the pattern itself.)"""

from __future__ import annotations

from provisioning.goto_auth.settings import _SCOPE_TOKEN


def test_the_scope_token_pattern_refuses_a_trailing_newline() -> None:
    assert _SCOPE_TOKEN.match("identity:scim.org")
    assert _SCOPE_TOKEN.match("identity:scim.org\n") is None
    assert _SCOPE_TOKEN.search("identity:scim.org\n") is None
