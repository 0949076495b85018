"""One table from an error to what every caller shows: HTTP status and code, CLI exit code, hint.

The API (`api.http.guarded`) and the CLI both read it, so a storage outage is 503 and exit 2 in
both, and a new error class is mapped in one place. Order matters: subclasses come first.
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioning.errors import (
    AuthorizationFlowError,
    ConfigError,
    InputError,
    LeaseHeldError,
    LeaseLostError,
    SourceError,
    SourceNotFoundError,
    StorageError,
    TargetError,
    UnauthorizedError,
)

EXIT_OK = 0
EXIT_FAILED_OBJECTS = 1
EXIT_CANNOT_RUN = 2

GRAPH_PERMISSIONS_HINT = (
    "Grant the app's identity the Graph application permissions User.Read.All, GroupMember.Read.All "
    "and Application.Read.All (infra/ does it), with admin consent."
)
GOTO_REAUTHORIZE_HINT = (
    "Re-authorize GoTo (GET /api/goto/authorize); the GoTo account needs organization admin rights."
)
STORAGE_HINT = (
    "Check that Table Storage is reachable and that AzureWebJobsStorage (or its managed-identity "
    "endpoint and role) is right; nothing moved the watermark, the next cycle resumes."
)


@dataclass(frozen=True, slots=True)
class Mapped:
    """What one error means to a caller."""

    kind: (
        str  # configuration | input | not-found | credentials | source | storage | busy | interrupted | goto
    )
    http_status: int
    code: str  # the API's error code
    message: str
    exit_code: int = EXIT_CANNOT_RUN
    hint: str | None = None
    field: str | None = None


def map_error(exc: BaseException) -> Mapped | None:
    """The mapping of an error the product raises on purpose; None for anything unexpected."""
    if isinstance(exc, ConfigError):
        return Mapped("configuration", 400, "configuration", str(exc), field=exc.setting)
    if isinstance(exc, AuthorizationFlowError):
        hint = "Start again: GET /api/goto/authorize (or python -m provisioning goto-authorize)."
        return Mapped("authorization", 400, "authorizationFailed", str(exc), hint=hint)
    if isinstance(exc, InputError):
        return Mapped("input", 400, "badRequest", str(exc), field=exc.field)
    if isinstance(exc, SourceNotFoundError):
        return Mapped("input", 404, "notFound", str(exc))
    if isinstance(exc, StorageError):
        message = f"Table Storage failed: {exc}"
        return Mapped("storage", 503, "storageUnavailable", message, hint=exc.hint or STORAGE_HINT)
    if isinstance(exc, LeaseHeldError):
        hint = "Try again when the running cycle has finished."
        return Mapped("busy", 409, "busy", str(exc), hint=hint)
    if isinstance(exc, LeaseLostError):
        hint = "Another instance took over; the next cycle resumes where this one stopped."
        return Mapped("interrupted", 503, "interrupted", str(exc), hint=hint)
    if isinstance(exc, SourceError):
        hint = (
            "Check that Microsoft Graph is reachable and that the app has the Graph application permissions."
        )
        if exc.status == 403:
            hint = GRAPH_PERMISSIONS_HINT
        return Mapped("source", 502, "graphUnavailable", f"reading Microsoft Graph failed: {exc}", hint=hint)
    if isinstance(exc, UnauthorizedError):
        status = f" ({exc.status})" if exc.status else ""
        message = f"GoTo refused the credentials{status}: {exc}"
        return Mapped("credentials", 502, "gotoUnauthorized", message, hint=GOTO_REAUTHORIZE_HINT)
    if isinstance(exc, TargetError):
        hint = "Check that GoTo is reachable."
        return Mapped("goto", 502, "gotoUnavailable", f"GoTo failed: {exc}", hint=hint)
    return None
