"""The NATS relay: publishes every committed event to JetStream (stream ``KEYLEDGER_EVENTS``, subject
``keyledger.events.<aggregate>.<event>``, message id = position, so a republish after a crash is dropped
as a duplicate), tracking its position like a projection. Messages carry ids only, no personal data.
JetStream itself is behind the ``Publisher`` port (``adapters.jetstream``)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from projections.activity import event_type
from projections.base import stamp
from projections.runner import EventSource, advance, ensure_tracking, tracked_position
from projections.store import ReadStore

log = logging.getLogger("keyledger.relay")
STREAM = "KEYLEDGER_EVENTS"
SUBJECT_PREFIX = "keyledger.events"
ALERT_STREAM = "KEYLEDGER_ALERTS"
ALERT_PREFIX = "keyledger.alerts"
NAME = "relay"
BATCH = 200
IDLE_S = 0.2
RETRY_S = 1.0


def subject_for(event: Any) -> str:
    aggregate, name = event_type(event).split(".", 1)
    return f"{SUBJECT_PREFIX}.{aggregate}.{name}"


def message_for(position: int, event: Any) -> bytes:
    """The published body: position, ids, type, version and time — nothing personal."""
    return json.dumps(
        {
            "position": position,
            "aggregate_id": str(event.originator_id),
            "event_type": event_type(event),
            "version": event.originator_version,
            "at": stamp(event.timestamp),
        }
    ).encode()


STREAMS = ((STREAM, SUBJECT_PREFIX), (ALERT_STREAM, ALERT_PREFIX))


class Publisher(Protocol):
    """Acknowledged publishing, de-duplicated by message id (JetStream)."""

    async def connect(self) -> None: ...

    async def publish(self, subject: str, body: bytes, message_id: str) -> None: ...

    async def close(self) -> None: ...


def alert_subject(event: Any) -> str | None:
    """``keyledger.alerts.<kind>`` for an alert event, else None."""
    kind = getattr(event, "kind", None)
    return f"{ALERT_PREFIX}.{kind}" if event_type(event) == "Alert.Raised" and kind else None


class Relay:
    def __init__(self, source: EventSource, store: ReadStore, publisher: Publisher) -> None:
        self.source, self.store, self.publisher = source, store, publisher
        self.stop_event = asyncio.Event()
        self._tracking_ready = False

    def _position(self) -> int:
        if not self._tracking_ready:
            with self.store.transaction() as tx:
                ensure_tracking(tx, NAME)
            self._tracking_ready = True
        with self.store.snapshot() as tx:
            return tracked_position(tx, NAME)

    def _advance(self, position: int) -> None:
        with self.store.transaction() as tx:
            advance(tx, NAME, position)

    async def publish_batch(self) -> int:
        """Publishes the next batch with acknowledgements; returns how many events it published."""
        after = await asyncio.to_thread(self._position)
        batch: Sequence[tuple[int, Any]] = await asyncio.to_thread(self.source.read, after, BATCH)
        for position, event in batch:
            body = message_for(position, event)
            await self.publisher.publish(subject_for(event), body, str(position))
            alert = alert_subject(event)
            if alert is not None:
                await self.publisher.publish(alert, body, f"alert-{position}")
        if batch:
            await asyncio.to_thread(self._advance, batch[-1][0])
        return len(batch)

    async def run(self) -> None:
        """Relays until stopped; reconnects when NATS goes away, losing nothing (the store is the source)."""
        while not self.stop_event.is_set():
            try:
                await self.publisher.connect()
                while not self.stop_event.is_set():
                    if await self.publish_batch() == 0:
                        await self._sleep(IDLE_S)
            except Exception:  # NATS or the store unavailable: retry after a pause, nothing is lost
                log.warning("relay paused; retrying", exc_info=True)
                await self._sleep(RETRY_S)
            finally:
                await self.publisher.close()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stop_event.wait(), seconds)
        except TimeoutError:
            return

    def stop(self) -> None:
        self.stop_event.set()
