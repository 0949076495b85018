"""The storage account: identity-only access (shared keys off), HTTPS with TLS 1.2 at least, nothing
public; it holds the deployment container, the table service for state and the notification queue."""

from __future__ import annotations

from tests.infra.bicep import Template, render


def test_shared_keys_are_disabled_and_transport_is_tls12_https(templates: dict[str, Template]) -> None:
    (account,) = (
        templates["modules/storage.bicep"].resources_of_type("Microsoft.Storage/storageAccounts").values()
    )
    properties = account["properties"]
    assert properties["allowSharedKeyAccess"] is False
    assert properties["defaultToOAuthAuthentication"] is True
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["supportsHttpsTrafficOnly"] is True
    assert properties["allowBlobPublicAccess"] is False
    assert properties["allowCrossTenantReplication"] is False


def test_it_holds_the_deployment_container_tables_and_a_queue(templates: dict[str, Template]) -> None:
    storage = templates["modules/storage.bicep"]
    (container,) = storage.resources_of_type(
        "Microsoft.Storage/storageAccounts/blobServices/containers"
    ).values()
    assert container["properties"]["publicAccess"] == "None"
    assert container["name"] == "deploymentContainerName"
    assert storage.resources_of_type("Microsoft.Storage/storageAccounts/tableServices")
    (queue,) = storage.resources_of_type("Microsoft.Storage/storageAccounts/queueServices/queues").values()
    assert queue["name"] == "notificationQueueName"
    assert render(storage.section("outputs")["deploymentContainerUrl"]["value"]).endswith(
        "${deploymentContainer.name}"
    )
