"""A value with a trailing newline is refused by each notification validator, however the pattern is
applied: `^…$` lets `match`/`search` accept "x\\n", `\\A…\\Z` does not. (The checks use fullmatch and
the settings reader strips what it reads, so no such value got through them; this guards the
patterns for any other use.)"""

from __future__ import annotations

import re

import pytest

from provisioning.notify.notifier import _CONDITION_KEY
from provisioning.notify.settings import _ADDRESS, _HOSTNAME


@pytest.mark.parametrize(
    ("pattern", "good"),
    [
        (_CONDITION_KEY, "credentials:goto"),
        (_ADDRESS, "ops@contoso.com"),
        (_HOSTNAME, "smtp.contoso.com"),
    ],
)
def test_the_patterns_refuse_a_trailing_newline(pattern: re.Pattern[str], good: str) -> None:
    assert pattern.match(good)
    assert pattern.match(good + "\n") is None
    assert pattern.search(good + "\n") is None
