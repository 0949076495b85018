"""The Storage queue between the webhook and the worker (azure-storage-queue, async).

Messages are base64 text, the Functions queue trigger's default `messageEncoding`, so what the
webhook puts there is what the trigger hands the worker. The queue and its poison queue are created
on first use (once per process), as the Functions host does for the poison queue.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import TextBase64DecodePolicy, TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient

from provisioning.notifications.settings import ChangeNotificationSettings

_CREATED: set[tuple[str, str]] = set()  # (account URL, queue) created by this process


class NotificationQueue:
    """`send` a change batch (optionally invisible for `delay` seconds); `send_poison` a dead one."""

    def __init__(self, queue: QueueClient, poison: QueueClient, *, owned_credential: Any = None) -> None:
        self.queue = queue
        self.poison = poison
        self._owned_credential = owned_credential  # created by from_settings: closed with the queue

    @classmethod
    def from_settings(
        cls, change: ChangeNotificationSettings, *, client_id: str | None = None, credential: Any = None
    ) -> NotificationQueue:
        """The connection string, else the queue endpoint with the (user-assigned) managed identity."""
        owned = None
        if credential is None and not change.queue_connection_string:
            from azure.identity.aio import ManagedIdentityCredential

            credential = owned = ManagedIdentityCredential(client_id=client_id)
        queue, poison = (
            _client(change, name, credential) for name in (change.queue_name, change.poison_queue_name)
        )
        return cls(queue, poison, owned_credential=owned)

    async def send(self, text: str, *, delay: int = 0) -> None:
        await _ensure(self.queue)
        await self.queue.send_message(text, visibility_timeout=delay or None)

    async def send_poison(self, text: str) -> None:
        await _ensure(self.poison)
        await self.poison.send_message(text)

    async def close(self) -> None:
        await self.queue.close()
        await self.poison.close()
        if self._owned_credential is not None:
            await self._owned_credential.close()

    async def __aenter__(self) -> NotificationQueue:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _client(change: ChangeNotificationSettings, name: str, credential: Any) -> QueueClient:
    encode, decode = TextBase64EncodePolicy(), TextBase64DecodePolicy()
    if change.queue_connection_string:
        return QueueClient.from_connection_string(
            change.queue_connection_string, name, message_encode_policy=encode, message_decode_policy=decode
        )
    if not change.queue_endpoint:
        raise ValueError(
            "AzureWebJobsStorage__queueServiceUri or AzureWebJobsStorage is required for the queue"
        )
    return QueueClient(
        change.queue_endpoint,
        name,
        credential=credential,
        message_encode_policy=encode,
        message_decode_policy=decode,
    )


async def _ensure(client: QueueClient) -> None:
    key = (client.primary_endpoint, client.queue_name)
    if key in _CREATED:
        return
    with contextlib.suppress(ResourceExistsError):
        await client.create_queue()
    _CREATED.add(key)
