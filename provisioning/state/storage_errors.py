"""What a Table Storage failure means: which are transient (and how long to retry them), and what
is left as one `StorageError` whose hint names what to check (key, SAS, identity, role, endpoint,
firewall, a malformed setting). No message carries a key or a SAS."""

from __future__ import annotations

import base64
import binascii
import logging
import random
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar
from urllib.parse import urlparse

from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import TableEntity

from provisioning.errors import StorageError
from provisioning.redaction import redact

log = logging.getLogger(__name__)

T = TypeVar("T")
Auth = Literal["key", "sas", "identity"]

BATCH_LIMIT = 100  # Table Storage's cap on one transaction (all in one partition)
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
CONNECTION_STRING_SETTING = "AzureWebJobsStorage"
ENDPOINT_SETTING = "AzureWebJobsStorage__tableServiceUri"
DEFAULT_CONNECTION_TIMEOUT = 10.0  # seconds to open a TCP (and TLS) connection
DEFAULT_READ_TIMEOUT = 30.0  # seconds without a byte of answer (the service's own cap is 30 s)
ROLE = "Storage Table Data Contributor"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retry of transient failures: at most `attempts` tries, and no wait that would end past
    `budget_seconds` after the first try. Waits grow from `first_wait` doubling to `max_wait`, plus
    up to `jitter` seconds at random (so instances do not retry in step)."""

    attempts: int = 12
    budget_seconds: float = 30.0
    first_wait: float = 0.5
    max_wait: float = 4.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        if self.budget_seconds < 0 or self.first_wait < 0 or self.max_wait < 0 or self.jitter < 0:
            raise ValueError("budget_seconds, first_wait, max_wait and jitter must not be negative")

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (from 1): doubling from first_wait up to max_wait,
        plus random jitter."""
        base = min(self.max_wait, self.first_wait * 2 ** min(attempt - 1, 30))
        return base + random.uniform(0, self.jitter)


DEFAULT_RETRY = RetryPolicy()
# test-connection answers quickly: a few tries, a few seconds.
CHECK_RETRY = RetryPolicy(attempts=3, budget_seconds=5.0, first_wait=0.5, max_wait=2.0)


@dataclass(frozen=True, slots=True)
class StorageTarget:
    """What hints name: the setting that says where storage is, its host, and how we sign in."""

    setting: str
    host: str
    auth: Auth


@dataclass(frozen=True, slots=True)
class Claim:
    """An ETag claim won: the row's new ETag, and what it held before (None: we created it)."""

    etag: str
    previous: TableEntity | None


# transient or not ----------------------------------------------------------------------------------


def is_transient(exc: BaseException) -> bool:
    """Worth trying again: the connection failed, dropped or timed out, or the service said busy/down."""
    if isinstance(exc, ServiceRequestError | ServiceResponseError | IncompleteReadError):
        return True
    if isinstance(exc, HttpResponseError) and exc.status_code in TRANSIENT_STATUS:
        return True
    return isinstance(exc, ConnectionError | TimeoutError)


def retry_after(exc: BaseException | None) -> float:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return 0.0
    try:
        return max(0.0, float(headers.get("Retry-After", 0)))
    except (TypeError, ValueError):
        return 0.0


# errors and hints ----------------------------------------------------------------------------------


def error_code(exc: BaseException) -> str | None:
    code = getattr(exc, "error_code", None)
    if code is None:
        return None
    return str(getattr(code, "value", code))


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend([current.__cause__, current.__context__, getattr(current, "inner_exception", None)])
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, BaseException):
            todo.append(os_error)


def _is_signing_error(exc: BaseException) -> bool:
    """The SDK could not sign the request with the account key (it is not base64)."""
    return type(exc).__name__ == "AzureSigningError" or any(
        isinstance(c, binascii.Error) for c in _causes(exc)
    )


def summary(exc: BaseException) -> str:
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        code = error_code(exc)
        first = (exc.message or "").strip().splitlines()[0] if exc.message else ""
        parts = [str(exc.status_code), code or "", first]
        return redact(" ".join(p for p in parts if p))
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _credential_hint(target: StorageTarget) -> str:
    if target.auth == "key":
        return (
            f"Check the AccountKey in {target.setting}: it must be a current key of the storage account "
            "(Access keys in the portal; keys change when rotated)."
        )
    if target.auth == "sas":
        return (
            f"Check the SharedAccessSignature in {target.setting}: it may have expired, been revoked, "
            "or lack the table permissions (r, a, u, d, l)."
        )
    return (
        f"Table Storage refused the managed identity's token: check AZURE_CLIENT_ID names the identity "
        f"assigned to the Function app and that {target.setting} is an account in the same tenant."
    )


def _classify(exc: BaseException, target: StorageTarget) -> tuple[str, str | None]:
    """(what happened, what to check) for an error that ends a call."""
    status = exc.status_code if isinstance(exc, HttpResponseError) else None
    code = error_code(exc) or ""
    if isinstance(exc, DecodeError):  # our own transaction reader (state/batch.py) could not read it
        return "Table Storage's answer could not be read", None
    if _is_signing_error(exc):
        return (
            "the request could not be signed",
            f"The AccountKey in {target.setting} is not a valid base64 key: copy it again from the "
            "storage account's Access keys.",
        )
    if code == "AuthorizationPermissionMismatch":
        return (
            "the identity may not read or write table data",
            f"Assign the role '{ROLE}' on the storage account to the Function app's identity "
            "(role assignments take a few minutes to apply).",
        )
    if status in (401, 403):
        hint = _credential_hint(target)
        if code == "AuthorizationFailure":
            hint += " If the key is right, the account's firewall or network rules may block this app."
        return "Table Storage refused our credentials", hint
    if isinstance(exc, ClientAuthenticationError):  # no answer from Table Storage: no token at all
        return (
            "no token could be obtained for Table Storage",
            "Check the managed identity: it must be enabled on the Function app, and AZURE_CLIENT_ID "
            "must name it when it is user-assigned.",
        )
    if isinstance(exc, ServiceRequestError | OSError):
        if any(isinstance(c, socket.gaierror) for c in _causes(exc)):
            return (
                f"the host {target.host} does not resolve",
                f"Check {target.setting}: the account name or TableEndpoint is wrong, or DNS (a "
                "private endpoint's zone) does not know it.",
            )
        return (
            f"nothing answered at {target.host}",
            f"Check the endpoint in {target.setting}, the network path (firewall, private endpoint, "
            "VNet) and that the storage service (or Azurite) is running.",
        )
    if is_transient(exc):
        return (
            "Table Storage did not answer in time or kept failing",
            "Table Storage is down, throttling or unreachable for longer than the retries last; "
            "nothing was lost: the next cycle resumes from the last recorded point.",
        )
    if status == 404 and code == "TableNotFound":
        return "a table is missing", "Tables are created when the app opens them: restart the app."
    return "Table Storage refused the request", None


def storage_error(
    exc: BaseException, *, operation: str, target: StorageTarget, attempts: int = 1, elapsed: float = 0.0
) -> StorageError:
    what, hint = _classify(exc, target)
    tried = f" after {attempts} attempts over {elapsed:.1f}s" if attempts > 1 else ""
    status = exc.status_code if isinstance(exc, HttpResponseError) else None
    message = f"Table Storage {operation} failed{tried}: {what} ({summary(exc)})"
    return StorageError(message, hint=hint, status=status, code=error_code(exc))


# connection strings -------------------------------------------------------------------------------


def _pairs(connection_string: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in connection_string.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            pairs[name.strip().lower()] = value.strip()
    return pairs


def _valid_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(value)


def connection_string_problem(connection_string: str, setting: str) -> StorageError | None:
    if not connection_string.strip():
        return StorageError(
            f"{setting} is empty",
            hint=f"Set {setting} to the storage account's connection string, or set {ENDPOINT_SETTING} "
            "to use the Function app's managed identity.",
        )
    pairs = _pairs(connection_string)
    key = pairs.get("accountkey")
    if key is not None and not _valid_base64(key):
        return StorageError(
            f"{setting}: AccountKey is not a base64 key",
            hint=f"The AccountKey in {setting} is not a valid base64 key: copy the connection string "
            "(or key) again from the storage account's Access keys.",
        )
    return None


def malformed(setting: str) -> StorageError:
    return StorageError(
        f"{setting} is not a usable storage connection string",
        hint=f"{setting} needs AccountName and AccountKey, or a SharedAccessSignature with TableEndpoint "
        "(copy it from the storage account's Access keys), or UseDevelopmentStorage=true for Azurite.",
    )


def auth_of(connection_string: str) -> Auth:
    pairs = _pairs(connection_string)
    return "sas" if "sharedaccesssignature" in pairs and "accountkey" not in pairs else "key"


def host_of(url: str) -> str:
    return urlparse(url).netloc or "the Table Storage endpoint"
