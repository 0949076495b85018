"""What the HTTP routes, the CLI and the sync wiring call: plain keyword-only functions.

- `start_authorization` / `complete_authorization`: the browser flow behind /api/goto/authorize and
  /api/goto/callback (state in Table Storage, so the two requests may hit different instances).
- `authorize_interactively`: the same consent from a terminal, with a loopback redirect listener.
- `open_token_store`, `build_token_provider`, `open_goto_auth`: the credential for GoTo's SCIM client.
Return values carry no token or secret, and neither do the exceptions.
"""

from __future__ import annotations

import logging
import secrets
import webbrowser
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import httpx
from azure.core.credentials_async import AsyncTokenCredential

from provisioning.errors import ConfigError
from provisioning.goto_auth import pkce
from provisioning.goto_auth.auth import GoToAuth
from provisioning.goto_auth.errors import AuthorizationDeniedError, GoToOAuthError, OAuthStateError
from provisioning.goto_auth.file_store import FileTokenStore
from provisioning.goto_auth.keyvault_store import KeyVaultTokenStore
from provisioning.goto_auth.loopback import LoopbackListener
from provisioning.goto_auth.oauth import GoToOAuthClient, TokenAnswer, build_authorization_url
from provisioning.goto_auth.provider import (
    PasswordGrantProvider,
    RefreshTokenProvider,
    StaticTokenProvider,
    TokenProvider,
)
from provisioning.goto_auth.settings import GoToAuthSettings
from provisioning.goto_auth.state import OAuthStateStore
from provisioning.goto_auth.store import TokenStore

log = logging.getLogger(__name__)

TOKEN_HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_INTERACTIVE_TIMEOUT = 300.0


class AuthorizationRequest(NamedTuple):
    """Send the browser to `url` (302); `state` is recorded already and is returned for logs/tests."""

    url: str
    state: str


@dataclass(frozen=True)
class AuthorizationSummary:
    """What a completed authorization may show an admin: where the token went, never the token."""

    store: str
    version: str
    redirect_uri: str
    account_key: str | None
    principal: str | None
    scope: str | None
    access_token_expires_in: int
    authorized_at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _client_id(settings: GoToAuthSettings) -> str:
    if not settings.client_id or not settings.client_secret:
        name = "GOTO_CLIENT_ID" if not settings.client_id else "GOTO_CLIENT_SECRET"
        raise ConfigError(name, "is required to authorize GoTo (the GoTo OAuth client)")
    return settings.client_id


# -- the browser flow (Function routes) ---------------------------------------------------------------


async def start_authorization(
    *, settings: GoToAuthSettings, states: OAuthStateStore, redirect_uri: str | None = None
) -> AuthorizationRequest:
    """Record a single-use state and build GoTo's authorize URL (redirect_uri: GOTO_REDIRECT_URI)."""
    client_id = _client_id(settings)
    target = redirect_uri or settings.redirect_uri
    if not target:
        raise ConfigError(
            "GOTO_REDIRECT_URI", "is required for the browser flow: the URL of /api/goto/callback"
        )
    try:
        await states.purge_expired()
    except Exception as exc:  # housekeeping must never block an admin
        log.warning("could not purge expired OAuth states: %s", type(exc).__name__)
    verifier = pkce.new_verifier()
    state = await states.issue(redirect_uri=target, code_verifier=verifier)
    url = build_authorization_url(
        auth_base_url=settings.auth_base_url,
        client_id=client_id,
        redirect_uri=target,
        state=state,
        scope=settings.scope,
        code_challenge=pkce.challenge(verifier),
    )
    return AuthorizationRequest(url, state)


async def complete_authorization(
    *,
    code: str | None,
    state: str | None,
    settings: GoToAuthSettings,
    states: OAuthStateStore,
    token_store: TokenStore,
    error: str | None = None,
    error_description: str | None = None,
    http: httpx.AsyncClient | None = None,
) -> AuthorizationSummary:
    """The callback: check the state (always consumed), exchange the code, store the refresh token.

    Raises OAuthStateError (bad state), AuthorizationDeniedError (GoTo sent `error`), GoToOAuthError
    (GoTo refused the code or the client) or TokenStoreError.
    """
    _client_id(settings)
    pending = await states.consume(state)
    if error:
        detail = f"{error}: {error_description}" if error_description else error
        raise AuthorizationDeniedError(f"GoTo did not authorize the app ({detail[:200]})")
    if not code:
        raise OAuthStateError("the callback carries no authorization code: start the authorization again")
    return await _exchange_and_store(
        code=code,
        redirect_uri=pending.redirect_uri,
        code_verifier=pending.code_verifier,
        settings=settings,
        token_store=token_store,
        http=http,
    )


# -- the CLI flow ---------------------------------------------------------------------------------------


async def authorize_interactively(
    *,
    settings: GoToAuthSettings,
    token_store: TokenStore,
    http: httpx.AsyncClient | None = None,
    port: int = 0,
    callback_path: str = "/callback",
    wait_seconds: float = DEFAULT_INTERACTIVE_TIMEOUT,
    open_browser: Callable[[str], object] | None = webbrowser.open,
    announce: Callable[[str], None] = print,
) -> AuthorizationSummary:
    """Consent from a terminal: listen on http://127.0.0.1:PORT/callback, show (and open) GoTo's
    authorize URL, wait for the browser to come back, check the state, exchange, store.

    GoTo must accept the loopback redirect URI for this OAuth client (register it; pass a fixed
    `port` if GoTo does not match loopback URIs on any port).
    """
    client_id = _client_id(settings)
    state = secrets.token_urlsafe(32)
    verifier = pkce.new_verifier()
    async with LoopbackListener(expected_state=state, port=port, callback_path=callback_path) as listener:
        redirect_uri = listener.redirect_uri
        url = build_authorization_url(
            auth_base_url=settings.auth_base_url,
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            scope=settings.scope,
            code_challenge=pkce.challenge(verifier),
        )
        announce(f"Open this URL in a browser and sign in to GoTo as an organization admin:\n\n  {url}\n")
        if open_browser is not None:
            try:
                open_browser(url)
            except Exception as exc:  # no browser here: the printed URL is enough
                log.info("could not open a browser (%s); open the URL by hand", type(exc).__name__)
        callback = await listener.wait(wait_seconds)
    return await _exchange_and_store(
        code=callback.code,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
        settings=settings,
        token_store=token_store,
        http=http,
    )


async def _exchange_and_store(
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    settings: GoToAuthSettings,
    token_store: TokenStore,
    http: httpx.AsyncClient | None,
) -> AuthorizationSummary:
    async with AsyncExitStack() as stack:
        if http is None:
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=TOKEN_HTTP_TIMEOUT))
        oauth = GoToOAuthClient.from_settings(settings, http)
        answer = await oauth.exchange_code(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
    if not answer.refresh_token:
        raise GoToOAuthError(
            "GoTo's answer to the authorization carried no refresh token, so access could not be renewed: "
            "check that the GoTo OAuth client may use refresh tokens, then authorize again"
        )
    version = await token_store.put(answer.refresh_token)
    log.info("GoTo authorized; refresh token stored in %s (version %s)", token_store.description, version)
    return _summary(answer, store=token_store.description, version=version, redirect_uri=redirect_uri)


def _summary(answer: TokenAnswer, *, store: str, version: str, redirect_uri: str) -> AuthorizationSummary:
    return AuthorizationSummary(
        store=store,
        version=version,
        redirect_uri=redirect_uri,
        account_key=answer.account_key,
        principal=answer.principal,
        scope=answer.scope,
        access_token_expires_in=int(answer.expires_in),
        authorized_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


# -- the credential for GoTo's SCIM client ---------------------------------------------------------------


def open_token_store(
    settings: GoToAuthSettings,
    *,
    credential: AsyncTokenCredential | None = None,
    **client_options: Any,
) -> TokenStore:
    """Key Vault when KEY_VAULT_URL is set, else the sandbox file (loopback only). Close it.

    The Function app should pass its managed-identity credential (the one Tables uses). Without
    one: DefaultAzureCredential minus the environment credential, i.e. managed identity in Azure
    (AZURE_CLIENT_ID picks a user-assigned one) and `az login` on an admin's machine, never the
    Graph app's AZURE_CLIENT_SECRET, which has no rights on the vault.
    """
    if settings.key_vault_url:
        if credential is None:
            from azure.identity.aio import DefaultAzureCredential

            return KeyVaultTokenStore.from_vault_url(
                settings.key_vault_url,
                credential=DefaultAzureCredential(exclude_environment_credential=True),
                secret_name=settings.refresh_token_secret_name,
                **client_options,
            )
        return KeyVaultTokenStore.from_vault_url(
            settings.key_vault_url,
            credential=credential,
            secret_name=settings.refresh_token_secret_name,
            owns_credential=False,
            **client_options,
        )
    problem = settings.file_store_problem()
    if problem is not None:
        raise ConfigError("KEY_VAULT_URL", problem)
    return FileTokenStore(settings.token_file)


def build_token_provider(
    settings: GoToAuthSettings, *, http: httpx.AsyncClient | None, token_store: TokenStore | None = None
) -> TokenProvider:
    """The provider for settings.mode; `http` reaches GoTo's token endpoint (never the SCIM client;
    not needed in static mode)."""
    if settings.mode == "static":
        assert settings.static_access_token
        return StaticTokenProvider(settings.static_access_token)
    if http is None:
        raise ValueError("GoTo OAuth needs an httpx.AsyncClient for the token endpoint")
    oauth = GoToOAuthClient.from_settings(settings, http)
    if settings.mode == "password":
        assert settings.username and settings.password  # checked by load_goto_auth_settings
        return PasswordGrantProvider(oauth, username=settings.username, password=settings.password)
    if token_store is None:
        raise ValueError("the authorization code mode needs a token store")
    return RefreshTokenProvider(oauth, token_store)


@asynccontextmanager
async def open_goto_auth(
    settings: GoToAuthSettings,
    *,
    token_store: TokenStore | None = None,
    http: httpx.AsyncClient | None = None,
    credential: AsyncTokenCredential | None = None,
) -> AsyncIterator[GoToAuth]:
    """`auth=` for GoTo's SCIM AsyncClient; closes the token HTTP client and store it opened itself."""
    async with AsyncExitStack() as stack:
        if http is None and settings.mode != "static":
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=TOKEN_HTTP_TIMEOUT))
        if token_store is None and settings.mode == "authorization_code":
            token_store = open_token_store(settings, credential=credential)
            stack.push_async_callback(token_store.close)
        provider = build_token_provider(settings, http=http, token_store=token_store)
        yield GoToAuth(provider)
