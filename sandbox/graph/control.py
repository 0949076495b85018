"""`/_sandbox/...`: drive the simulated tenant over HTTP (JSON), for tools outside the test process.

Mirrors the Python API of `Tenant` and `GraphSimulator`; never faulted, never counted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox._counters import RequestCounters
from sandbox._faults import FaultInjector
from sandbox.graph.constants import APP_ROLE_USER_ID
from sandbox.graph.settings import SimulatorSettings
from sandbox.graph.tenant import Tenant, UnknownObjectError

_USER_ACTIONS = ("disable", "enable", "soft-delete", "restore")


class ControlApp:
    """WSGI callable for the control routes; errors answer `{"error": "..."}` with 400 or 404."""

    def __init__(
        self,
        tenant: Tenant,
        settings: SimulatorSettings,
        faults: FaultInjector,
        counters: RequestCounters,
    ) -> None:
        self.tenant = tenant
        self.settings = settings
        self.faults = faults
        self.counters = counters
        rules: list[tuple[str, str, Callable[..., Any]]] = [
            ("/_sandbox/health", "GET", self._health),
            ("/_sandbox/reset", "POST", self._reset),
            ("/_sandbox/seed", "POST", self._seed),
            ("/_sandbox/state", "GET", self._state),
            ("/_sandbox/users", "GET", self._list_users),
            ("/_sandbox/users", "POST", self._create_user),
            ("/_sandbox/users/<user_id>", "GET", self._get_user),
            ("/_sandbox/users/<user_id>", "PATCH", self._update_user),
            ("/_sandbox/users/<user_id>", "DELETE", self._hard_delete_user),
            ("/_sandbox/users/<user_id>/<action>", "POST", self._user_action),
            ("/_sandbox/groups", "GET", self._list_groups),
            ("/_sandbox/groups", "POST", self._create_group),
            ("/_sandbox/groups/<group_id>", "GET", self._get_group),
            ("/_sandbox/groups/<group_id>", "PATCH", self._update_group),
            ("/_sandbox/groups/<group_id>", "DELETE", self._delete_group),
            ("/_sandbox/groups/<group_id>/restore", "POST", self._restore_group),
            ("/_sandbox/groups/<group_id>/purge", "POST", self._purge_group),
            ("/_sandbox/groups/<group_id>/members", "GET", self._list_members),
            ("/_sandbox/groups/<group_id>/members", "POST", self._add_member),
            ("/_sandbox/groups/<group_id>/members/<member_id>", "DELETE", self._remove_member),
            ("/_sandbox/appRoles", "GET", self._list_app_roles),
            ("/_sandbox/appRoles", "POST", self._add_app_role),
            ("/_sandbox/assignments", "GET", self._list_assignments),
            ("/_sandbox/assignments", "POST", self._assign),
            ("/_sandbox/assignments/<principal_id>", "DELETE", self._unassign),
            ("/_sandbox/assignments/<principal_id>/role", "POST", self._change_role),
            ("/_sandbox/delta/expire", "POST", self._expire),
            ("/_sandbox/settings", "GET", self._get_settings),
            ("/_sandbox/settings", "PATCH", self._update_settings),
            ("/_sandbox/faults", "GET", self._get_faults),
            ("/_sandbox/faults", "PATCH", self._configure_faults),
            ("/_sandbox/faults", "DELETE", self._reset_faults),
            ("/_sandbox/faults/queue", "POST", self._queue_fault),
            ("/_sandbox/counters", "GET", self._get_counters),
            ("/_sandbox/counters", "DELETE", self._reset_counters),
        ]
        self._handlers: dict[str, Callable[..., Any]] = {}
        map_rules = []
        for n, (path, method, handler) in enumerate(rules):
            endpoint = f"{n}:{handler.__name__}"
            self._handlers[endpoint] = handler
            map_rules.append(Rule(path, endpoint=endpoint, methods=[method]))
        self._map = Map(map_rules, strict_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        try:
            endpoint, args = self._map.bind_to_environ(request.environ).match()
            result = self._handlers[endpoint](request, **args)
        except HTTPException as exc:
            return _json({"error": exc.description or exc.name}, exc.code or 500)
        except UnknownObjectError as exc:
            return _json({"error": str(exc)}, 404)
        except (ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        if isinstance(result, tuple):
            return _json(result[0], result[1])
        return _json(result, 200)

    # ------------------------------------------------------------------ tenant

    def _health(self, request: Request) -> Any:
        return {"ok": True}

    def _reset(self, request: Request) -> Any:
        """Empty tenant, default faults and zero counters: a clean slate between scenarios."""
        self.tenant.reset(seed=int(_body(request).get("seed", 0)))
        self.faults.reset()
        self.counters.reset()
        return self.tenant.summary()

    def _seed(self, request: Request) -> Any:
        body = _body(request)
        self.tenant.seed(int(body.get("users", 0)), int(body.get("groups", 0)), seed=int(body.get("seed", 0)))
        return self.tenant.summary()

    def _state(self, request: Request) -> Any:
        return self.tenant.summary()

    def _list_users(self, request: Request) -> Any:
        include = request.args.get("includeDeleted", "false").lower() == "true"
        return {"value": self.tenant.users(include_deleted=include)}

    def _create_user(self, request: Request) -> Any:
        return self.tenant.create_user(**_body(request)), 201

    def _get_user(self, request: Request, user_id: str) -> Any:
        return {**self.tenant.user(user_id), "state": self.tenant.user_state(user_id)}

    def _update_user(self, request: Request, user_id: str) -> Any:
        return self.tenant.update_user(user_id, **_body(request))

    def _hard_delete_user(self, request: Request, user_id: str) -> Any:
        self.tenant.hard_delete_user(user_id)
        return {"id": user_id, "state": "hard_deleted"}

    def _user_action(self, request: Request, user_id: str, action: str) -> Any:
        if action == "disable":
            self.tenant.disable_user(user_id)
        elif action == "enable":
            self.tenant.enable_user(user_id)
        elif action == "soft-delete":
            self.tenant.soft_delete_user(user_id)
        elif action == "restore":
            self.tenant.restore_user(user_id)
        else:
            raise UnknownObjectError(f"unknown user action {action!r}; known: {list(_USER_ACTIONS)}")
        return {**self.tenant.user(user_id), "state": self.tenant.user_state(user_id)}

    def _list_groups(self, request: Request) -> Any:
        return {"value": self.tenant.groups()}

    def _create_group(self, request: Request) -> Any:
        body = dict(_body(request))
        name = body.pop("displayName", None)
        if not isinstance(name, str) or not name:
            raise ValueError("displayName is required")
        return self.tenant.create_group(name, **body), 201

    def _get_group(self, request: Request, group_id: str) -> Any:
        return self.tenant.group(group_id)

    def _update_group(self, request: Request, group_id: str) -> Any:
        return self.tenant.update_group(group_id, **_body(request))

    def _delete_group(self, request: Request, group_id: str) -> Any:
        self.tenant.delete_group(group_id)
        return {"id": group_id, "deleted": True}

    def _restore_group(self, request: Request, group_id: str) -> Any:
        return self.tenant.restore_group(group_id)

    def _purge_group(self, request: Request, group_id: str) -> Any:
        self.tenant.purge_group(group_id)
        return {"id": group_id, "purged": True}

    def _list_members(self, request: Request, group_id: str) -> Any:
        return {"value": [{"id": i, "type": t} for i, t in self.tenant.members(group_id)]}

    def _add_member(self, request: Request, group_id: str) -> Any:
        member_id = _body(request).get("id")
        if not isinstance(member_id, str):
            raise ValueError('body needs the member\'s id: {"id": "..."}')
        self.tenant.add_member(group_id, member_id)
        return {"groupId": group_id, "id": member_id}, 201

    def _remove_member(self, request: Request, group_id: str, member_id: str) -> Any:
        self.tenant.remove_member(group_id, member_id)
        return {"groupId": group_id, "id": member_id, "removed": True}

    def _list_app_roles(self, request: Request) -> Any:
        return {"value": self.tenant.app_roles()}

    def _add_app_role(self, request: Request) -> Any:
        """`{"value": "Organizer", "id"?, "displayName"?, "description"?, "allowedMemberTypes"?}`."""
        body = _body(request)
        value = body.get("value")
        if not isinstance(value, str):
            raise ValueError('value is required (the role\'s name, e.g. "Organizer")')
        allowed = body.get("allowedMemberTypes", ["User", "Group"])
        if not isinstance(allowed, list):
            raise ValueError('allowedMemberTypes must be a list such as ["User", "Group"]')
        role_id = self.tenant.add_app_role(
            value,
            id=body.get("id"),
            display_name=body.get("displayName"),
            description=body.get("description"),
            allowed=allowed,
        )
        return {"id": role_id}, 201

    def _change_role(self, request: Request, principal_id: str) -> Any:
        """`{"from": role id, "to": role id}`: the old row goes, a new one (new id) is made."""
        body = _body(request)
        old, new = body.get("from"), body.get("to")
        if not isinstance(old, str) or not isinstance(new, str):
            raise ValueError('body needs both role ids: {"from": "...", "to": "..."}')
        return {"id": self.tenant.change_role(principal_id, from_role_id=old, to_role_id=new)}, 201

    def _list_assignments(self, request: Request) -> Any:
        return {"value": self.tenant.assignments()}

    def _assign(self, request: Request) -> Any:
        body = _body(request)
        principal_id = body.get("principalId")
        if not isinstance(principal_id, str):
            raise ValueError("principalId is required")
        role = body.get("appRoleId") or APP_ROLE_USER_ID
        return {"id": self.tenant.assign(principal_id, app_role_id=role)}, 201

    def _unassign(self, request: Request, principal_id: str) -> Any:
        role = request.args.get("appRoleId")
        return {"removed": self.tenant.unassign(principal_id, app_role_id=role)}

    def _expire(self, request: Request) -> Any:
        gone = bool(_body(request).get("gone", False))
        return {"expired": self.tenant.expire_delta_tokens(gone=gone), "gone": gone}

    # ------------------------------------------------------------------ simulator

    def _get_settings(self, request: Request) -> Any:
        return self.settings.as_dict()

    def _update_settings(self, request: Request) -> Any:
        self.settings.update(_body(request))
        return self.settings.as_dict()

    def _get_faults(self, request: Request) -> Any:
        return {"config": self.faults.config.as_dict(), "injected": dict(self.faults.injected)}

    def _configure_faults(self, request: Request) -> Any:
        self.faults.configure(**_body(request))
        return self._get_faults(request)

    def _reset_faults(self, request: Request) -> Any:
        self.faults.reset()
        return self._get_faults(request)

    def _queue_fault(self, request: Request) -> Any:
        body = _body(request)
        self.faults.queue(body.get("kind"), int(body.get("count", 1)))  # type: ignore[arg-type]
        return self._get_faults(request)

    def _get_counters(self, request: Request) -> Any:
        return {"counts": self.counters.snapshot(), "total": self.counters.total()}

    def _reset_counters(self, request: Request) -> Any:
        self.counters.reset()
        return {"counts": {}, "total": 0}


def _body(request: Request) -> dict[str, Any]:
    if not request.get_data():
        return {}
    try:
        body = json.loads(request.get_data())
    except ValueError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
