"""Errors of the GoTo credential layer, placed in the product's hierarchy by what the run must do.

Anything that prevents getting a GoTo access token is an UnauthorizedError: the engine stops the run
(no object could succeed) instead of failing every object. Browser-flow errors are not target
errors: the HTTP route answers 400 and the CLI exits 2. No message ever carries a token or secret.
"""

from __future__ import annotations

from provisioning.errors import ProvisioningError, UnauthorizedError

REAUTHORIZE_HINT = (
    "re-authorize GoTo: an organization admin opens /api/goto/authorize, "
    "or runs `python -m provisioning goto-authorize`"
)


class GoToOAuthError(UnauthorizedError):
    """GoTo's token endpoint refused a request. `error` is the OAuth error code (RFC 6749 §5.2)."""

    def __init__(self, message: str, *, status: int | None = None, error: str | None = None) -> None:
        super().__init__(message, status=status, scim_type=None, detail=error)
        self.error = error


class ReauthorizationRequiredError(GoToOAuthError):
    """The stored refresh token is missing, revoked or expired: only a new consent helps."""


class ClientCredentialsError(GoToOAuthError):
    """GoTo does not know GOTO_CLIENT_ID or GOTO_CLIENT_SECRET is wrong (401 invalid_client)."""


class PasswordGrantNotAllowedError(GoToOAuthError):
    """The legacy password grant is refused for this OAuth client (new GoTo clients never get it)."""


class TokenStoreError(UnauthorizedError):
    """The refresh-token store (Key Vault or the sandbox file) could not be read or written."""


class TokenStoreConflict(ProvisioningError):
    """Another writer changed the stored refresh token since it was read (a concurrent rotation)."""


class AuthorizationFlowError(ProvisioningError):
    """The browser flow could not complete: bad state, denied consent, no callback in time."""


class OAuthStateError(AuthorizationFlowError):
    """The `state` of a callback is malformed, unknown, already used or expired: refuse the callback."""


class AuthorizationDeniedError(AuthorizationFlowError):
    """GoTo sent the admin back with an error (e.g. access_denied) instead of a code."""


class AuthorizationTimeoutError(AuthorizationFlowError):
    """No callback reached the CLI's loopback listener in time."""
