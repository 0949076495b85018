"""Test connection: every dependency checked on its own, each with ok / error / hint (Entra's
"Test Connection", plus Graph and Table Storage, which Entra hosts for you and we do not)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError

from provisioning.api.http import GRAPH_PERMISSIONS_HINT
from provisioning.config import Settings
from provisioning.errors import ProvisioningError, SourceError, TargetError, UnauthorizedError
from provisioning.service import Services

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


async def test_connection(services: Services, settings: Settings) -> list[Check]:
    async def goto_token() -> str:
        if services.goto_auth is None:
            raise UnauthorizedError("no GoTo credentials: authorize GoTo first (GET /api/goto/authorize)")
        await services.goto_auth.provider.access_token()
        mode = settings.goto_auth.mode if settings.goto_auth else "static"
        return f"obtained a GoTo access token ({mode})"

    async def goto_read() -> str:
        users = [u async for u in _first(services.scim.list_users(page_size=1))]
        groups = [g async for g in _first(services.scim.list_groups(page_size=1))]
        return f"read {len(users)} user and {len(groups)} group from GoTo SCIM"

    async def graph_sp() -> str:
        sp = await services.source.get_service_principal(settings.service_principal_id)
        roles = [r.value or r.display_name for r in sp.app_roles if r.is_enabled]
        return f"service principal '{sp.display_name}' with app roles {roles}"

    async def graph_assignments() -> str:
        assignments = await services.source.list_assignments(settings.service_principal_id)
        users = sum(1 for a in assignments if a.principal_type == "User")
        return f"{len(assignments)} assignments ({users} users, {len(assignments) - users} groups)"

    async def tables() -> str:
        probe = f"probe-{uuid.uuid4().hex[:8]}"
        await services.state.set_control(probe, {"Probe": True})
        found = await services.state.get_control(probe)
        await services.state.delete_control(probe)
        if not found:
            raise TargetError("the probe row written to Table Storage could not be read back")
        return "wrote, read and deleted a probe row"

    def tables_hint(exc: Exception) -> str:
        return "Check AzureWebJobsStorage (or the Tables endpoint) and the Table Data Contributor role."

    return [
        await _check("gotoToken", goto_token, lambda _: "Re-authorize GoTo: GET /api/goto/authorize."),
        await _check("gotoScimRead", goto_read, _goto_hint),
        await _check("graphServicePrincipal", graph_sp, _graph_hint),
        await _check("graphAssignments", graph_assignments, _graph_hint),
        await _check("tableStorage", tables, tables_hint),
    ]


async def _first(items: Any) -> Any:
    """At most the first item of an async generator, which is then closed."""
    try:
        async for item in items:
            yield item
            break
    finally:
        await items.aclose()
