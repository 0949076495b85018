"""The Key Vault simulator, driven by the real azure-keyvault-secrets SecretClient over HTTPS."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import AsyncIterator

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError, ServiceRequestError
from azure.keyvault.secrets.aio import SecretClient

from sandbox.keyvault import VAULT_RESOURCE, KeyVaultSimulator, SandboxVaultCredential


@pytest.fixture
async def client(keyvault_sim: KeyVaultSimulator) -> AsyncIterator[SecretClient]:
    async with SecretClient(
        keyvault_sim.url, SandboxVaultCredential(), **keyvault_sim.client_options()
    ) as secret_client:
        yield secret_client


async def test_every_set_makes_a_new_current_version(client: SecretClient) -> None:
    first = await client.set_secret("goto-refresh-token", "one", tags={"previous-version": ""})
    second = await client.set_secret("goto-refresh-token", "two")

    current = await client.get_secret("goto-refresh-token")
    old = await client.get_secret("goto-refresh-token", first.properties.version)
    versions = [p.version async for p in client.list_properties_of_secret_versions("goto-refresh-token")]

    assert current.value == "two" and current.properties.version == second.properties.version
    assert old.value == "one" and old.properties.tags == {"previous-version": ""}
    assert versions == [first.properties.version, second.properties.version]
    assert first.properties.version != second.properties.version


async def test_names_are_case_insensitive_and_missing_secrets_are_404(client: SecretClient) -> None:
    await client.set_secret("Goto-Token", "value")

    assert (await client.get_secret("goto-token")).value == "value"
    with pytest.raises(ResourceNotFoundError, match="SecretNotFound"):
        await client.get_secret("other")


async def test_the_sdk_answers_the_bearer_challenge_for_the_vault_resource(
    keyvault_sim: KeyVaultSimulator,
) -> None:
    credential = SandboxVaultCredential()
    async with SecretClient(keyvault_sim.url, credential, **keyvault_sim.client_options()) as client:
        await client.set_secret("s", "v")

    assert credential.scopes == [VAULT_RESOURCE + "/.default"]


async def test_without_a_token_the_vault_challenges(keyvault_sim: KeyVaultSimulator) -> None:
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=keyvault_sim.ca_file)) as http:
        response = await http.get(keyvault_sim.url + "/secrets/s/", params={"api-version": "7.5"})
        wrong = await http.get(
            keyvault_sim.url + "/secrets/s/",
            params={"api-version": "7.5"},
            headers={"Authorization": "Bearer not-the-token"},
        )

    assert response.status_code == 401 == wrong.status_code
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer authorization="https://login.microsoftonline.com/')
    assert f'resource="{VAULT_RESOURCE}"' in challenge
    assert json.loads(response.content)["error"]["code"] == "Unauthorized"


async def test_the_sdk_refuses_plain_http_and_trusts_only_the_simulators_certificate(
    keyvault_sim: KeyVaultSimulator,
) -> None:
    """Why the simulator speaks TLS: the SDK will not send a bearer token over http."""
    http_url = keyvault_sim.url.replace("https://", "http://")
    no_retry = {"verify_challenge_resource": False, "retry_total": 0}
    async with SecretClient(http_url, SandboxVaultCredential(), **no_retry) as client:
        with pytest.raises(ServiceRequestError):
            await client.get_secret("s")
    # no connection_verify: the default CA bundle does not know the simulator
    async with SecretClient(keyvault_sim.url, SandboxVaultCredential(), **no_retry) as client:
        with pytest.raises(ServiceRequestError):
            await client.get_secret("s")


async def test_injected_failures_reach_the_client(
    keyvault_sim: KeyVaultSimulator, client: SecretClient
) -> None:
    await client.set_secret("s", "v")
    keyvault_sim.app.fail_next(403)

    with pytest.raises(Exception, match="Forbidden"):
        await client.get_secret("s")
    assert (await client.get_secret("s")).value == "v"


def test_a_client_that_connects_and_stays_silent_does_not_block_the_vault() -> None:
    """The TLS handshake runs in the connection's thread, not in the accept loop."""
    simulator = KeyVaultSimulator().start()
    silent = socket.create_connection(("127.0.0.1", int(simulator.url.rsplit(":", 1)[1])))
    try:
        with httpx.Client(verify=ssl.create_default_context(cafile=simulator.ca_file), timeout=5) as http:
            answer = http.get(simulator.url + "/secrets/s/", params={"api-version": "7.5"})
        assert answer.status_code == 401
        stopper = threading.Thread(target=simulator.stop, daemon=True)
        stopper.start()
        stopper.join(timeout=10)
        assert not stopper.is_alive()
    finally:
        silent.close()
