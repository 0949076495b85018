"""Settings of the GoTo credential layer, validated once; every problem names its setting.

Three modes, chosen by what is set: a static `GOTO_ACCESS_TOKEN` (sandbox only), the legacy
password grant (`GOTO_USERNAME` + `GOTO_PASSWORD`, deprecated by GoTo), or the authorization code
flow with a refresh token kept in Key Vault (`KEY_VAULT_URL`) or, for loopback sandboxes only, in
a local file under `.sandbox/`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from provisioning.settings_reader import (
    SettingsReader,
    is_loopback_url,
    key_vault_secret_name,
    plain_text,
    url,
)

DEFAULT_GOTO_AUTH_BASE_URL = "https://authentication.logmeininc.com"
DEFAULT_REFRESH_TOKEN_SECRET_NAME = "goto-refresh-token"  # noqa: S105 (a name, not a secret)
DEFAULT_GOTO_SCIM_BASE_URL = "https://api.getgo.com/identity/v1"  # provisioning.config uses this one
SANDBOX_DIR = Path(".sandbox")

GOTO_AUTH_SETTING_NAMES: tuple[str, ...] = (
    "GOTO_CLIENT_ID",
    "GOTO_CLIENT_SECRET",
    "GOTO_AUTH_BASE_URL",
    "GOTO_REDIRECT_URI",
    "GOTO_OAUTH_SCOPE",
    "KEY_VAULT_URL",
    "GOTO_REFRESH_TOKEN_SECRET_NAME",
    "GOTO_USERNAME",
    "GOTO_PASSWORD",
)
GOTO_AUTH_SECRET_SETTINGS: frozenset[str] = frozenset({"GOTO_CLIENT_SECRET", "GOTO_PASSWORD"})
# The 2017 tutorial's admin user + password: only for OAuth clients that still have the password grant.
GOTO_AUTH_DEPRECATED_SETTINGS: frozenset[str] = frozenset({"GOTO_USERNAME", "GOTO_PASSWORD"})

AuthMode = Literal["static", "password", "authorization_code"]

_SCOPE_TOKEN = re.compile(r"\A[\x21\x23-\x5B\x5D-\x7E]+\Z")  # RFC 6749 §3.3 scope-token


@dataclass(frozen=True)
class GoToAuthSettings:
    """What the credential layer needs. Built by `load_goto_auth_settings`; tests build it directly."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    auth_base_url: str = DEFAULT_GOTO_AUTH_BASE_URL
    redirect_uri: str | None = None
    scope: str | None = None
    key_vault_url: str | None = None
    refresh_token_secret_name: str = DEFAULT_REFRESH_TOKEN_SECRET_NAME
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    static_access_token: str | None = field(default=None, repr=False)  # GOTO_ACCESS_TOKEN (config.py)
    scim_base_url: str = DEFAULT_GOTO_SCIM_BASE_URL  # GOTO_SCIM_BASE_URL (config.py), for the loopback rule
    sandbox_dir: Path = SANDBOX_DIR

    @property
    def mode(self) -> AuthMode:
        if self.static_access_token:
            return "static"
        if self.username:
            return "password"
        return "authorization_code"

    @property
    def authorize_endpoint(self) -> str:
        return self.auth_base_url.rstrip("/") + "/oauth/authorize"

    @property
    def token_endpoint(self) -> str:
        return self.auth_base_url.rstrip("/") + "/oauth/token"

    @property
    def token_file(self) -> Path:
        """Where the file store keeps the refresh token when no Key Vault is configured (sandbox)."""
        return self.sandbox_dir / f"{self.refresh_token_secret_name}.json"

    @property
    def loopback_only(self) -> bool:
        """True when GoTo is a local simulator: the only case where a file may hold the refresh token."""
        return all(is_loopback_url(u) for u in (self.auth_base_url, self.scim_base_url))

    def file_store_problem(self) -> str | None:
        """Why the file store may not be used here, or None when it may."""
        if self.loopback_only:
            return None
        return (
            "is required: without a Key Vault the refresh token would be kept in a local file, which is "
            "allowed only when GOTO_AUTH_BASE_URL and GOTO_SCIM_BASE_URL are loopback sandboxes"
        )


def _redirect_uri(value: str) -> str:
    checked = url(value)
    if urlsplit(checked).fragment:
        raise ValueError("must not contain a fragment (#…) (RFC 6749 §3.1.2)")
    return value  # kept exactly: GoTo compares it with the registered one


def _key_vault_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"must be an https URL such as https://<vault-name>.vault.azure.net, got {value!r}")
    return value.rstrip("/")


def _scope(value: str) -> str:
    tokens = value.split()
    if not all(_SCOPE_TOKEN.fullmatch(t) for t in tokens):
        raise ValueError("must be space-separated scope names without quotes or backslashes")
    return " ".join(tokens)


def read_goto_auth_settings(r: SettingsReader) -> GoToAuthSettings:
    """This layer's settings through the shared reader; problems are left in `r`.

    GOTO_ACCESS_TOKEN and GOTO_SCIM_BASE_URL belong to provisioning.config; they are read here with
    the same checks (the reader records a shared problem once). Secrets are checked for presence
    only; their values never appear in a message.
    """
    static_token = r.raw("GOTO_ACCESS_TOKEN")
    client_id = r.optional("GOTO_CLIENT_ID", plain_text)
    client_secret = r.raw("GOTO_CLIENT_SECRET")
    auth_base_url = r.value("GOTO_AUTH_BASE_URL", url, DEFAULT_GOTO_AUTH_BASE_URL)
    redirect_uri = r.optional("GOTO_REDIRECT_URI", _redirect_uri)
    scope = r.optional("GOTO_OAUTH_SCOPE", _scope)
    key_vault_url = r.optional("KEY_VAULT_URL", _key_vault_url)
    secret_name = r.value(
        "GOTO_REFRESH_TOKEN_SECRET_NAME", key_vault_secret_name, DEFAULT_REFRESH_TOKEN_SECRET_NAME
    )
    username = r.raw("GOTO_USERNAME")
    password = r.raw("GOTO_PASSWORD")
    scim_base_url = r.value("GOTO_SCIM_BASE_URL", url, DEFAULT_GOTO_SCIM_BASE_URL)

    if username and not password:
        r.missing("GOTO_PASSWORD", "is required when GOTO_USERNAME is set (legacy password grant)")
    if password and not username:
        r.missing("GOTO_USERNAME", "is required when GOTO_PASSWORD is set (legacy password grant)")
    static_wanted = r.present("GOTO_ACCESS_TOKEN")  # even if its reference did not resolve
    if not static_wanted:
        r.missing("GOTO_CLIENT_ID", "is required (the GoTo OAuth client), unless GOTO_ACCESS_TOKEN is set")
        r.missing("GOTO_CLIENT_SECRET", "is required (the GoTo OAuth client's secret)")

    settings = GoToAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        auth_base_url=auth_base_url,
        redirect_uri=redirect_uri,
        scope=scope,
        key_vault_url=key_vault_url,
        refresh_token_secret_name=secret_name,
        username=username,
        password=password,
        static_access_token=static_token,
        scim_base_url=scim_base_url,
    )
    if settings.mode == "authorization_code" and not static_wanted and not r.present("KEY_VAULT_URL"):
        problem = settings.file_store_problem()
        if problem is not None:
            r.problem("KEY_VAULT_URL", problem)
    return settings


def load_goto_auth_settings(env: Mapping[str, str] | None = None) -> GoToAuthSettings:
    """Read and validate this layer's settings; raise one ConfigError naming each bad one."""
    reader = SettingsReader(env)
    settings = read_goto_auth_settings(reader)
    reader.raise_if_problems()
    return settings
