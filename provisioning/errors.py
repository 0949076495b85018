"""One readable exception hierarchy; each class decides what the engine does with the object or run."""

from __future__ import annotations


class ProvisioningError(Exception):
    """Base of every error the product raises on purpose."""


class ConfigError(ProvisioningError):
    """A setting is missing or malformed: the run stops before any I/O. `setting` names it (or them).

    `problems` holds each (setting, message) pair, so one loader can merge another's findings.
    """

    def __init__(self, setting: str, message: str, *, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.problems = problems if problems is not None else [(setting, message)]


class InputError(ProvisioningError):
    """A caller's input is wrong (an id, a body field): nothing was done. `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class StorageError(ProvisioningError):
    """Table Storage failed after the bounded retries, or refused us: stop, move no watermark.

    `hint` says what to check (key, endpoint, role); `status`/`code` are what the service said.
    """

    def __init__(
        self, message: str, *, hint: str | None = None, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.hint = hint
        self.status = status
        self.code = code


class LeaseError(ProvisioningError):
    """Base of the single-flight lease's errors."""


class LeaseHeldError(LeaseError):
    """Another cycle or on-demand call holds the single-flight lease: this run did not start (busy)."""


class LeaseLostError(LeaseError):
    """The lease could not be renewed or was taken: the holder stopped writing (interrupted)."""


class SourceError(ProvisioningError):
    """Reading Microsoft Graph failed: abort the cycle, deprovision nobody, move no watermark."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class DeltaExpiredError(SourceError):
    """A delta link is no longer valid (syncStateNotFound, resyncRequired, 410): do a full resync."""


class SourceNotFoundError(SourceError):
    """The Entra object does not exist (404)."""


class TargetError(ProvisioningError):
    """GoTo answered with an error. `status` is the HTTP status, `scim_type`/`detail` from the body."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        scim_type: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.scim_type = scim_type
        self.detail = detail


class TransientError(TargetError):
    """429, 5xx, timeout or dropped connection that outlived the retries: retry the object later."""


class NotFoundError(TargetError):
    """404: the account or group is gone; relink or recreate, or count a disable/delete as done."""


class ConflictError(TargetError):
    """409: the account already exists; find it by the matching attribute and adopt it."""


class BadRequestError(TargetError):
    """400: GoTo refused this object's data (e.g. unverified e-mail domain); skip the object, report it."""


class LicenseSeatsError(TargetError):
    """The GoTo license has no free seat for this user: a failure of that user, retried by the ladder."""


class UnauthorizedError(TargetError):
    """401/403: credentials are bad or lack rights; stop the run (no other object can succeed)."""


class NotificationError(ProvisioningError):
    """A notification could not be sent (never a reason a cycle fails). It never holds a credential."""


# GoTo credentials (goto_auth/): anything that prevents a GoTo access token stops the run as
# UnauthorizedError; browser-flow errors are bad input (HTTP 400, exit 2).


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
