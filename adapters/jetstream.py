"""NATS JetStream for the relay (``workers.relay.Publisher``): a connection with acknowledged publishes
de-duplicated by message id, and the two streams created (or updated) on connect."""

from __future__ import annotations

from collections.abc import Sequence

import nats
from nats.aio.client import Client
from nats.js.api import StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError

DUPLICATE_WINDOW_S = 600.0


async def ensure_streams(js: JetStreamContext, streams: Sequence[tuple[str, str]]) -> None:
    """Creates (or updates) each stream ``(name, subject prefix)`` to take ``<prefix>.>``."""
    for name, prefix in streams:
        config = StreamConfig(name=name, subjects=[f"{prefix}.>"], duplicate_window=DUPLICATE_WINDOW_S)
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)


class JetStreamPublisher:
    """``streams`` maps a stream name to its subject prefix; each stream takes ``<prefix>.>``."""

    def __init__(self, nats_url: str, streams: Sequence[tuple[str, str]]) -> None:
        self.nats_url, self.streams = nats_url, tuple(streams)
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    async def connect(self) -> None:
        self._client = await nats.connect(
            self.nats_url, connect_timeout=2, max_reconnect_attempts=2, allow_reconnect=True
        )
        self._js = self._client.jetstream(timeout=5)
        await ensure_streams(self._js, self.streams)

    async def publish(self, subject: str, body: bytes, message_id: str) -> None:
        """Publishes and waits for JetStream's acknowledgement (a repeat id inside the window is dropped)."""
        if self._js is None:
            raise ConnectionError("not connected to NATS")
        await self._js.publish(subject, body, headers={"Nats-Msg-Id": message_id})

    async def close(self) -> None:
        client, self._client, self._js = self._client, None, None
        if client is not None and not client.is_closed:
            await client.close()
