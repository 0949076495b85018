"""A local GoTo (GoToMeeting) simulator: SCIM 2.0 identity API, OAuth 2.0, rate limit and faults.

See DIALECT.md for what is known about GoTo's real behaviour and what the simulator assumes.
"""

from sandbox.goto.constants import (
    SANDBOX_ACCOUNT_KEY,
    SANDBOX_ADMIN_PASSWORD,
    SANDBOX_ADMIN_USERNAME,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_GOTO_TOKEN,
    SANDBOX_REDIRECT_URIS,
    VERIFIED_DOMAINS,
)
from sandbox.goto.simulator import GoToSimulator

__all__ = [
    "SANDBOX_ACCOUNT_KEY",
    "SANDBOX_ADMIN_PASSWORD",
    "SANDBOX_ADMIN_USERNAME",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_GOTO_TOKEN",
    "SANDBOX_REDIRECT_URIS",
    "VERIFIED_DOMAINS",
    "GoToSimulator",
]
