"""Fixed identities of the simulated tenant, so tests and settings can name them without a lookup."""

from __future__ import annotations

from provisioning.model import DEFAULT_ACCESS_ROLE_ID

SANDBOX_GRAPH_TOKEN = "sandbox-graph-token"
TENANT_DOMAIN = "contoso.com"
TENANT_ID = "5a9e6c5e-0f3b-4a36-9d36-3c6f8c9a1d00"

SERVICE_PRINCIPAL_ID = "8f6a3c2e-4b1d-4e7a-9c5f-2d8b1a0e6f31"
SERVICE_PRINCIPAL_APP_ID = "2e5c9a7b-1f3d-4c8e-a6b0-9d4f7e2c1a53"
SERVICE_PRINCIPAL_NAME = "GoToMeeting"
APP_ROLE_USER_ID = "3f2b7d1c-9e4a-4b6f-8c2d-5a1e0b9f7c64"

__all__ = [
    "APP_ROLE_USER_ID",
    "DEFAULT_ACCESS_ROLE_ID",
    "SANDBOX_GRAPH_TOKEN",
    "SERVICE_PRINCIPAL_APP_ID",
    "SERVICE_PRINCIPAL_ID",
    "SERVICE_PRINCIPAL_NAME",
    "TENANT_DOMAIN",
    "TENANT_ID",
]
