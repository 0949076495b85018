"""Test connection: every dependency checked on its own, each with ok / error / hint (Entra's
"Test Connection", plus Graph and Table Storage, which Entra hosts for you and we do not)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError

from provisioning.config import Settings
from provisioning.error_map import GRAPH_PERMISSIONS_HINT
from provisioning.errors import ProvisioningError, SourceError, StorageError, UnauthorizedError
from provisioning.mapping.file import MappingFileError, load_mappings
from provisioning.service import Clients, open_clients, open_state
from provisioning.state.tablestore import CHECK_RETRY, RetryPolicy
from provisioning.target.licenses import ADMIN_SCOPE_HINT, GoToLicenses, License

GOTO_RIGHTS_HINT = (
    "The GoTo account that authorized the app needs organization admin rights with read & write "
    "(GoTo Admin Center); re-authorize GoTo after fixing them."
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str | None = None
    error: str | None = None
    hint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "error": self.error,
            "hint": self.hint,
        }


async def _check(
    name: str, probe: Callable[[], Awaitable[str]], hint_for: Callable[[Exception], str]
) -> Check:
    try:
        return Check(name, True, detail=await probe())
    except (ProvisioningError, AzureError, OSError) as exc:
        return Check(name, False, error=f"{type(exc).__name__}: {exc}", hint=hint_for(exc))


def _goto_hint(exc: Exception) -> str:
    if isinstance(exc, UnauthorizedError):
        return GOTO_RIGHTS_HINT
    return "Check GOTO_SCIM_BASE_URL and that GoTo is reachable from the Function app."


def _graph_hint(exc: Exception) -> str:
    if isinstance(exc, SourceError) and exc.status == 403:
        return GRAPH_PERMISSIONS_HINT
    if isinstance(exc, SourceError) and exc.status == 404:
        return "ENTRA_SERVICE_PRINCIPAL_ID must be the object id of the GoToMeeting app's service principal."
    if isinstance(exc, SourceError) and exc.status == 401:
        return "Graph refused the credential: check the managed identity (or AZURE_CLIENT_ID/SECRET)."
    return "Check GRAPH_BASE_URL and that Microsoft Graph is reachable from the Function app."


async def test_connection(settings: Settings) -> list[Check]:
    """The mapping file and Table Storage first, each on its own (a broken one must not hide the
    other checks), then GoTo and Graph."""
    checks = [
        await _check("mappings", lambda: check_mappings(settings), _mappings_hint),
        await _check("tableStorage", lambda: check_table_storage(settings), _tables_hint),
    ]
    async with open_clients(settings) as clients:
        checks += await _client_checks(clients, settings)
    return checks


async def check_mappings(settings: Settings) -> str:
    """The file cycles use (MAPPINGS_FILE, else the built-in default), loaded and checked as a cycle
    would: a broken file stops every cycle, so it is the first thing to say."""
    mapping = load_mappings(settings.mappings_file)
    origin = settings.mappings_file or "the built-in default mapping"
    return f"{origin}: {mapping.summary()}"


def _mappings_hint(exc: Exception) -> str:
    return (
        "No cycle runs until the mapping file is fixed: run `python -m provisioning check-mappings "
        "FILE` for every problem with its place in the file, or unset MAPPINGS_FILE for the default."
    )


async def check_table_storage(settings: Settings, *, retry: RetryPolicy = CHECK_RETRY) -> str:
    """Sign in, open the tables, write, read and delete a probe row: what a cycle needs (the Storage
    Table Data Contributor role, not only read access), with a short retry so a check answers fast."""
    probe = f"probe-{uuid.uuid4().hex[:8]}"
    async with open_state(settings, retry=retry) as state:
        await state.set_control(probe, {"Probe": True})
        found = await state.get_control(probe)
        await state.delete_control(probe)
        target = state.store.target
    if not found:
        raise StorageError("the probe row written to Table Storage could not be read back")
    return f"signed in to Table Storage at {target.host} ({target.auth}): wrote, read and deleted a probe row"


def _tables_hint(exc: Exception) -> str:
    if isinstance(exc, StorageError) and exc.hint:
        return exc.hint
    return "Check AzureWebJobsStorage (or the Tables endpoint) and the Storage Table Data Contributor role."


async def _client_checks(clients: Clients, settings: Settings) -> list[Check]:
    async def goto_token() -> str:
        if clients.goto_auth is None:
            raise UnauthorizedError("no GoTo credentials: authorize GoTo first (GET /api/goto/authorize)")
        await clients.goto_auth.provider.access_token()
        mode = settings.goto_auth.mode if settings.goto_auth else "static"
        return f"obtained a GoTo access token ({mode})"

    async def goto_read() -> str:
        users = [u async for u in _first(clients.scim.list_users(page_size=1))]
        groups = [g async for g in _first(clients.scim.list_groups(page_size=1))]
        return f"read {len(users)} user and {len(groups)} group from GoTo SCIM"

    async def goto_capabilities() -> str:
        found = await clients.scim.discover()
        where = f"/{found.config_path}" if found.config_path else "no ServiceProviderConfig (PATCH assumed)"
        return (
            f"{where}: updates by {'PATCH' if found.patch else 'PUT of the whole user (patch unsupported)'}"
        )

    async def graph_sp() -> str:
        sp = await clients.source.get_service_principal(settings.service_principal_id)
        roles = [r.value or r.display_name for r in sp.app_roles if r.is_enabled]
        return f"service principal '{sp.display_name}' with app roles {roles}"

    async def graph_assignments() -> str:
        assignments = await clients.source.list_assignments(settings.service_principal_id)
        users = sum(1 for a in assignments if a.principal_type == "User")
        return f"{len(assignments)} assignments ({users} users, {len(assignments) - users} groups)"

    return [
        await _check("gotoToken", goto_token, lambda _: "Re-authorize GoTo: GET /api/goto/authorize."),
        await _check("gotoScimRead", goto_read, _goto_hint),
        await _check("gotoScimCapabilities", goto_capabilities, _goto_hint),
        await _check("gotoLicenses", lambda: check_licenses(clients.licenses, settings), _licenses_hint),
        await _check("graphServicePrincipal", graph_sp, _graph_hint),
        await _check("graphAssignments", graph_assignments, _graph_hint),
    ]


# -- licenses (the GoTo Admin API) ----------------------------------------------------------------


class LicenseKeysMissing(ProvisioningError):
    """MAPPINGS_FILE maps roles to license keys the GoTo account does not have."""


async def check_licenses(licenses: GoToLicenses, settings: Settings) -> str:
    """Only when MAPPINGS_FILE maps roles to licenses is the Admin API called: then it must answer
    (with the `identity:` scope) and hold every mapped key."""
    try:
        mapped = load_mappings(settings.mappings_file).licenses
    except MappingFileError:
        return "not checked: the mapping file does not load (see the mappings check)"
    if not mapped:
        return (
            "licenses are not configured (the mapping file has no licenses section): "
            "the Admin API is not called"
        )
    found = await licenses.list_licenses()
    keys = {lic.key for lic in found}
    wanted = sorted({key for keys_of_role in mapped.values() for key in keys_of_role})
    missing = [key for key in wanted if key not in keys]
    listed = ", ".join(_describe(lic) for lic in found)
    if missing:
        raise LicenseKeysMissing(
            f"the mapping file maps roles to license keys the GoTo account does not have: {missing}; "
            f"the account has: {listed or 'no licenses'}"
        )
    return f"Admin API reachable; {len(found)} license(s): {listed or 'none'}; mapped: {wanted}"


def _describe(lic: License) -> str:
    seats = "?" if lic.seats is None else lic.seats
    products = "/".join(lic.products) or "no product"
    return f"{lic.key} ({products}, {lic.users}/{seats} seats{'' if lic.enabled else ', disabled'})"


def _licenses_hint(exc: Exception) -> str:
    if isinstance(exc, UnauthorizedError):
        return ADMIN_SCOPE_HINT
    if isinstance(exc, LicenseKeysMissing):
        return "Use the keys `python -m provisioning licenses` lists in the mapping file's licenses section."
    return "Check GOTO_ADMIN_BASE_URL and that GoTo's Admin API is reachable from the Function app."


async def _first(items: Any) -> Any:
    """At most the first item of an async generator, which is then closed."""
    try:
        async for item in items:
            yield item
            break
    finally:
        await items.aclose()
