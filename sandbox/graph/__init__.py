"""A Microsoft Graph v1.0 simulator: one in-memory Entra tenant served over real HTTP on loopback."""

from sandbox.graph.constants import (
    APP_ROLE_USER_ID,
    DEFAULT_ACCESS_ROLE_ID,
    SANDBOX_GRAPH_TOKEN,
    SERVICE_PRINCIPAL_APP_ID,
    SERVICE_PRINCIPAL_ID,
    TENANT_DOMAIN,
)
from sandbox.graph.settings import SimulatorSettings
from sandbox.graph.simulator import GraphSimulator
from sandbox.graph.tenant import Tenant, UnknownObjectError

__all__ = [
    "APP_ROLE_USER_ID",
    "DEFAULT_ACCESS_ROLE_ID",
    "SANDBOX_GRAPH_TOKEN",
    "SERVICE_PRINCIPAL_APP_ID",
    "SERVICE_PRINCIPAL_ID",
    "TENANT_DOMAIN",
    "GraphSimulator",
    "SimulatorSettings",
    "Tenant",
    "UnknownObjectError",
]
