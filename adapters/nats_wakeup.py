"""Wakes a worker (projections, sealer) when the relay publishes an event; without NATS they simply
poll."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import nats
from nats.aio.msg import Msg

log = logging.getLogger("keyledger.wakeup")
RETRY_S = 2.0


class NatsWakeup:
    """A thread that calls ``wake`` on every message under ``subjects`` (e.g. ``keyledger.events.>``);
    reconnects on its own, never raises."""

    name = "wakeup"

    def __init__(self, nats_url: str, subjects: str, wake: Callable[[], None]) -> None:
        self.nats_url, self.subjects, self.wake = nats_url, subjects, wake
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    async def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                client = await nats.connect(self.nats_url, connect_timeout=2, max_reconnect_attempts=-1)
            except Exception:  # NATS down: the worker polls the store meanwhile
                log.info("NATS unavailable; projections poll the store")
                await asyncio.sleep(RETRY_S)
                continue

            async def on_message(_: Msg) -> None:
                self.wake()

            await client.subscribe(self.subjects, cb=on_message)
            while not self._stop.is_set():
                await asyncio.sleep(0.2)
            await client.close()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._listen()), name="keyledger-wakeup", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
