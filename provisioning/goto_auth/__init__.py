"""GoTo's credential layer: OAuth authorization (browser and CLI), token storage and renewal.

Modes: the OAuth 2.0 authorization code flow with the refresh token in Azure Key Vault (primary);
the deprecated password grant for legacy clients; a static token for sandboxes. See service.py for
the entry points the routes, the CLI and the sync wiring use.
"""

from provisioning.goto_auth.auth import GoToAuth
from provisioning.goto_auth.errors import (
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
from provisioning.goto_auth.file_store import FileTokenStore
from provisioning.goto_auth.keyvault_store import KeyVaultTokenStore
from provisioning.goto_auth.oauth import GoToOAuthClient, TokenAnswer
from provisioning.goto_auth.provider import (
    PasswordGrantProvider,
    RefreshTokenProvider,
    StaticTokenProvider,
    TokenProvider,
)
from provisioning.goto_auth.service import (
    AuthorizationRequest,
    AuthorizationSummary,
    authorize_interactively,
    build_token_provider,
    complete_authorization,
    open_goto_auth,
    open_token_store,
    start_authorization,
)
from provisioning.goto_auth.settings import (
    GOTO_AUTH_DEPRECATED_SETTINGS,
    GOTO_AUTH_SECRET_SETTINGS,
    GOTO_AUTH_SETTING_NAMES,
    GoToAuthSettings,
    load_goto_auth_settings,
)
from provisioning.goto_auth.state import OAuthStateStore
from provisioning.goto_auth.store import StoredToken, TokenStore

__all__ = [
    "GOTO_AUTH_DEPRECATED_SETTINGS",
    "GOTO_AUTH_SECRET_SETTINGS",
    "GOTO_AUTH_SETTING_NAMES",
    "AuthorizationDeniedError",
    "AuthorizationFlowError",
    "AuthorizationRequest",
    "AuthorizationSummary",
    "AuthorizationTimeoutError",
    "ClientCredentialsError",
    "FileTokenStore",
    "GoToAuth",
    "GoToAuthSettings",
    "GoToOAuthClient",
    "GoToOAuthError",
    "KeyVaultTokenStore",
    "OAuthStateError",
    "OAuthStateStore",
    "PasswordGrantNotAllowedError",
    "PasswordGrantProvider",
    "ReauthorizationRequiredError",
    "RefreshTokenProvider",
    "StaticTokenProvider",
    "StoredToken",
    "TokenAnswer",
    "TokenProvider",
    "TokenStore",
    "TokenStoreConflict",
    "TokenStoreError",
    "authorize_interactively",
    "build_token_provider",
    "complete_authorization",
    "load_goto_auth_settings",
    "open_goto_auth",
    "open_token_store",
    "start_authorization",
]
