#!/bin/sh
# Grants the Function app's managed identity the Microsoft Graph application permissions it reads
# Entra ID with: User.Read.All, GroupMember.Read.All, Application.Read.All (and Group.Read.All for
# the /groups change-notification subscription when GRAPH_NOTIFICATIONS=true). Nothing else.
#
# Idempotent: a permission already granted is reported and left alone, so it is safe to run after
# every `azd provision` (azure.yaml runs it as the postprovision hook) or by hand:
#
#   sh infra/scripts/grant-graph-permissions.sh [PRINCIPAL_ID [GRAPH_BASE_URL]]
#
# PRINCIPAL_ID is the object id of the identity's service principal; by default the azd output
# AZURE_MANAGED_IDENTITY_PRINCIPAL_ID. GRAPH_BASE_URL is the Microsoft Graph endpoint, the app's
# setting of the same name (azd hands its variables to hooks); by default the Graph of the cloud the
# Azure CLI is signed in to (`az cloud show`), so another cloud's Graph needs no edit here. It needs
# the Azure CLI signed in (`az login`) as a Privileged Role Administrator or Global Administrator:
# only they may grant Microsoft Graph app permissions.
#
# Why a script and not the Microsoft Graph Bicep extension (Microsoft.Graph/appRoleAssignedTo):
# - the Azure deployer is often not a Privileged Role Administrator; with the extension the whole
#   deployment would fail, here the infrastructure deploys and this script says who must run what;
# - the extension has open bugs on exactly this resource: a just-created identity is "not a valid
#   reference" on the first deployment (microsoftgraph/msgraph-bicep-types#193) and redeploying an
#   existing grant fails with "already exists" (#161);
# - the offline checks cannot read it: checkov's Bicep parser (pycep-parser 0.5) rejects `extension`.
#
# POSIX sh (azd runs hooks with sh); each step is one `az rest` call to Microsoft Graph.
set -eu

principal_id=${1:-${AZURE_MANAGED_IDENTITY_PRINCIPAL_ID:-}}
if [ -z "$principal_id" ]; then
  echo "usage: $0 PRINCIPAL_ID [GRAPH_BASE_URL] (object id of the managed identity; azd output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID)" >&2
  exit 2
fi

graph=${2:-${GRAPH_BASE_URL:-}}
if [ -z "$graph" ]; then
  # the signed-in cloud's Graph, e.g. https://graph.microsoft.us/ for Azure US Government
  graph_root=$(az cloud show --query endpoints.microsoftGraphResourceId --output tsv)
  graph="${graph_root%/}/v1.0"
fi
graph=${graph%/}
case $graph in
  https://*) ;;
  *)
    echo "error: GRAPH_BASE_URL must be an https:// Microsoft Graph endpoint, got '$graph'" >&2
    exit 2
    ;;
esac
graph_app_id=00000003-0000-0000-c000-000000000000  # Microsoft Graph's application id, the same in every tenant
permissions="User.Read.All GroupMember.Read.All Application.Read.All"
# Graph change notifications (docs/notifications.md): a /groups subscription needs Group.Read.All
# (Graph's subscription permission table; /users needs User.Read.All, held already). Granted only
# when the deployment turns them on (azd variable GRAPH_NOTIFICATIONS=true).
if [ "${GRAPH_NOTIFICATIONS:-false}" = "true" ]; then
  permissions="$permissions Group.Read.All"
fi
attempts=${GRANT_ATTEMPTS:-12}     # a new identity takes a minute or two to reach Microsoft Graph
delay=${GRANT_RETRY_SECONDS:-10}
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

denied() {
  echo "error: the signed-in account may not grant Microsoft Graph application permissions." >&2
  echo "Ask a Privileged Role Administrator (or Global Administrator) to run:" >&2
  echo "  sh infra/scripts/grant-graph-permissions.sh $principal_id $graph" >&2
  exit 3
}

# az_rest ARGS...: `az rest ARGS`, retried while Graph does not know the identity yet; stops at once
# when the caller lacks the rights. Prints what az prints on stdout.
az_rest() {
  n=1
  while :; do
    if az rest "$@" 2>"$errors"; then
      return 0
    fi
    if grep -q -e Authorization_RequestDenied -e Forbidden "$errors"; then
      cat "$errors" >&2
      denied
    fi
    if grep -q "already exists" "$errors"; then
      return 4
    fi
    if [ "$n" -ge "$attempts" ]; then
      cat "$errors" >&2
      echo "error: Microsoft Graph still refuses after $attempts attempts (see above)." >&2
      exit 1
    fi
    echo "  Microsoft Graph is not ready (attempt $n of $attempts); retrying in ${delay}s" >&2
    sleep "$delay"
    n=$((n + 1))
  done
}

graph_sp=$(az_rest --method get --url "$graph/servicePrincipals(appId='$graph_app_id')?\$select=id" --query id --output tsv)
granted=$(az_rest --method get --url "$graph/servicePrincipals/$principal_id/appRoleAssignments" \
  --query "value[?resourceId=='$graph_sp'].appRoleId" --output tsv)

for permission in $permissions; do
  role_id=$(az_rest --method get --url "$graph/servicePrincipals/$graph_sp?\$select=appRoles" \
    --query "appRoles[?value=='$permission' && contains(allowedMemberTypes, 'Application')].id | [0]" --output tsv)
  if [ -z "$role_id" ]; then
    echo "error: Microsoft Graph has no application permission named $permission" >&2
    exit 1
  fi
  if printf '%s\n' "$granted" | grep -qx "$role_id"; then
    echo "already granted: $permission"
    continue
  fi
  status=0
  az_rest --method post --url "$graph/servicePrincipals/$principal_id/appRoleAssignments" \
    --headers "Content-Type=application/json" \
    --body "{\"principalId\": \"$principal_id\", \"resourceId\": \"$graph_sp\", \"appRoleId\": \"$role_id\"}" \
    --output none || status=$?
  if [ "$status" -eq 4 ]; then
    echo "already granted: $permission"
  elif [ "$status" -eq 0 ]; then
    echo "granted: $permission"
  else
    exit "$status"
  fi
done
echo "Microsoft Graph ($graph) permissions of $principal_id: $permissions"
