"""Errors of the GoTo credential layer: defined in provisioning.errors (the one hierarchy), named
here too for the modules of this package. No message ever carries a token or secret."""

from __future__ import annotations

from provisioning.errors import (
    AuthorizationDeniedError,
    AuthorizationFlowError,
    AuthorizationTimeoutError,
    ClientCredentialsError,
    GoToOAuthError,
    OAuthStateError,
    PasswordGrantNotAllowedError,
    ReauthorizationRequiredError,
    TokenStoreConflict,
    TokenStoreError,
)

REAUTHORIZE_HINT = (
    "re-authorize GoTo: an organization admin opens /api/goto/authorize, "
    "or runs `python -m provisioning goto-authorize`"
)

__all__ = [
    "REAUTHORIZE_HINT",
    "AuthorizationDeniedError",
    "AuthorizationFlowError",
    "AuthorizationTimeoutError",
    "ClientCredentialsError",
    "GoToOAuthError",
    "OAuthStateError",
    "PasswordGrantNotAllowedError",
    "ReauthorizationRequiredError",
    "TokenStoreConflict",
    "TokenStoreError",
]
