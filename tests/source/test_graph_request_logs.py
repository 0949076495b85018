"""At the Functions host's default level (root logger at INFO, shipped to Application Insights),
a Graph read through the product's client leaves no httpx/httpcore request line: those lines
carry full URLs, with delta tokens and UPN filters."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from provisioning.source.graph import GraphSource
from sandbox.graph import GraphSimulator

SELECT = ["id", "userPrincipalName"]


async def test_no_httpx_request_line_at_the_default_level(
    functions: dict[str, Any],  # imports function_app, whose logging setup is under test
    graph_sim: GraphSimulator,
    graph_source: GraphSource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # what the Functions host sets on the root logger
    graph_sim.tenant.seed(3, 0, seed=1)
    graph_sim.configure(page_size=2)
    links = [
        page.next_link or page.delta_link
        async for page in graph_source.iter_users_delta(link=None, select=SELECT)
    ]

    assert len(links) == 2
    chatty = [r for r in caplog.records if r.name.split(".")[0] in ("httpx", "httpcore")]
    assert chatty == []
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(str(link) in text for link in links)


async def test_no_table_storage_request_line_at_the_default_level(
    functions: dict[str, Any],
    tables_connection_string: str,
    table_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from provisioning.state.tables import TableState

    caplog.set_level(logging.INFO)
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as state:
        await state.set_watermark("users", "https://graph.example/delta?$deltatoken=secret-looking")
    policy = [r for r in caplog.records if r.name == "azure.core.pipeline.policies.http_logging_policy"]
    assert policy == []
