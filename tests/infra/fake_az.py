"""A stand-in for `az rest` against Microsoft Graph, for testing infra/scripts/grant-graph-permissions.sh.

It answers what Graph answers to the calls the script makes (the same JSON shapes, error bodies and
`az` exit codes), evaluates `--query` with JMESPath as az does, and prints `--output tsv` as az does.
State lives in the JSON file named by FAKE_AZ_STATE: Microsoft Graph's service principal and its
app roles, the assignments granted so far, the faults to play, and a log of every call.

The fake is signed in to one cloud (`cloud`, one of CLOUDS): `az cloud show` names that cloud's Graph,
and `az rest` to any other Graph host fails as az does, since it can get no token for it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jmespath

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_SP_ID = "7f1c0a52-3d0e-4b8e-9a51-0c7b7d1e5a10"
GRAPH_APP_ROLES = {  # a few of Graph's real application permissions (value -> id)
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "GroupMember.Read.All": "98830695-27a2-44f7-8c18-0c3ebc9698f6",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
}
REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found"}
# az's cloud name -> its endpoints.microsoftGraphResourceId, as `az cloud show` prints it
CLOUDS = {
    "AzureCloud": "https://graph.microsoft.com/",
    "AzureUSGovernment": "https://graph.microsoft.us/",
    "AzureChinaCloud": "https://microsoftgraph.chinacloudapi.cn",
}


def new_state(principal_id: str, cloud: str = "AzureCloud", **faults: Any) -> dict[str, Any]:
    """`faults`: unknown_for (requests before the identity reaches Graph), forbidden, race (POST of a
    grant someone else just made)."""
    return {"principal_id": principal_id, "cloud": cloud, "assignments": [], "calls": [], **faults}


def _cloud_show(state: dict[str, Any], options: dict[str, str]) -> int:
    cloud = {"name": state["cloud"], "endpoints": {"microsoftGraphResourceId": CLOUDS[state["cloud"]]}}
    result = jmespath.search(options["query"], cloud) if "query" in options else cloud
    sys.stdout.write(_tsv(result) if options.get("output") == "tsv" else json.dumps(result, indent=2) + "\n")
    return 0


def _error(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {"error": {"code": code, "message": message}}


def _graph(state: dict[str, Any], method: str, url: str, body: Any) -> tuple[int, Any]:
    path = unquote(urlsplit(url).path).removeprefix("/v1.0")
    principal = state["principal_id"]
    graph_sp = {
        "id": GRAPH_SP_ID,
        "appId": GRAPH_APP_ID,
        "displayName": "Microsoft Graph",
        "appRoles": [
            {"id": role_id, "value": value, "allowedMemberTypes": ["Application"], "isEnabled": True}
            for value, role_id in GRAPH_APP_ROLES.items()
        ],
    }
    if method == "GET" and path in (
        f"/servicePrincipals(appId='{GRAPH_APP_ID}')",
        f"/servicePrincipals/{GRAPH_SP_ID}",
    ):
        return 200, graph_sp
    match = re.fullmatch(r"/servicePrincipals/([^/]+)/appRoleAssignments", path)
    if not match:
        return _error(400, "Request_BadRequest", f"the fake does not serve {method} {path}")
    if match.group(1) != principal or state.get("unknown_for", 0) > 0:
        state["unknown_for"] = max(0, state.get("unknown_for", 0) - 1)
        return _error(
            404,
            "Request_ResourceNotFound",
            f"Resource '{match.group(1)}' does not exist or one of its queried reference-property objects "
            "are not present.",
        )
    if method == "GET":
        return 200, {"value": state["assignments"]}
    if state.get("forbidden"):
        return _error(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
    assert body["principalId"] == principal and body["resourceId"] == GRAPH_SP_ID, body
    assert body["appRoleId"] in GRAPH_APP_ROLES.values(), body
    if state.get("race") or any(a["appRoleId"] == body["appRoleId"] for a in state["assignments"]):
        return _error(400, "Request_BadRequest", "Permission being assigned already exists on the object")
    assignment = {"id": str(uuid.uuid4()), **body, "principalType": "ServicePrincipal"}
    state["assignments"].append(assignment)
    return 201, assignment


def _tsv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(_tsv(item) for item in value)
    if isinstance(value, dict):
        return "\t".join(str(v) for v in value.values()) + "\n"
    return f"{value}\n"


def main(argv: list[str]) -> int:
    command = argv[:2] if argv[:2] == ["cloud", "show"] else argv[:1]
    assert command in (["rest"], ["cloud", "show"]), argv
    options: dict[str, str] = {}
    rest = argv[len(command) :]
    while rest:
        key, value, *rest = rest
        options[key.lstrip("-").replace("-", "_")] = value
    state_file = Path(os.environ["FAKE_AZ_STATE"])
    state = json.loads(state_file.read_text())
    if command == ["cloud", "show"]:
        return _cloud_show(state, options)
    method = options["method"].upper()
    body = json.loads(options["body"]) if "body" in options else None
    state["calls"].append({"method": method, "url": options["url"], "body": body})
    signed_in = urlsplit(CLOUDS[state["cloud"]]).netloc
    if urlsplit(options["url"]).netloc != signed_in:
        state_file.write_text(json.dumps(state))
        print(
            "Can't derive appropriate Azure AD resource from --url to acquire an access token. "
            "If access token is required, use --resource to specify the resource",
            file=sys.stderr,
        )
        return 1
    status, answer = _graph(state, method, options["url"], body)
    state_file.write_text(json.dumps(state))
    if status >= 400:
        print(f"{REASONS[status]}({json.dumps(answer)})", file=sys.stderr)
        return 1
    if options.get("output") == "none":
        return 0
    result = jmespath.search(options["query"], answer) if "query" in options else answer
    sys.stdout.write(_tsv(result) if options.get("output") == "tsv" else json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
