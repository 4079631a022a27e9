"""The webhook worker: delivers events to the endpoints that asked for them, at least once.

It reads the event store from its own tracked position (NATS may lose acknowledged messages; the store
cannot): in one transaction per batch it brings its endpoint table up to date, adds a delivery row per
event and subscribed endpoint, and advances its position — so a crash enqueues nothing twice and loses
nothing. Deliveries are signed per the Standard Webhooks spec and retried with exponential backoff and
jitter for at least 24 hours (``domain.webhook_delivery``); a delivery that exhausts its retries disables
its endpoint (an event). A delivery row leaves ``pending`` only after its receiver's 2xx is recorded, so a
worker killed mid-delivery sends it again after restart with the same ``webhook-id``. Alerts also go by
e-mail when SMTP is configured (the ``email`` pseudo-endpoint). One active instance (leader lock)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.webhook import WebhookEndpoint
from domain.webhook_delivery import backoff, gives_up, message_id, signature_header
from projections import deliveries
from projections.activity import event_type
from projections.base import parse_stamp, text_time
from projections.runner import EventSource, advance, ensure_tracking, tracked_position
from projections.store import ReadStore
from workers.leader import Leader, no_leader
from workers.webhook_payload import is_deliverable, mail_for, payload_for

log = logging.getLogger("keyledger.webhooks")
NAME = "webhooks"
TRACKING = "webhook-deliveries"  # its own row in rm_tracking (not the "webhooks" read model's)
BATCH = 200
DUE_BATCH = 20
INTERVAL_S = 1.0


class Outcome(Protocol):
    @property
    def status(self) -> int | None: ...

    @property
    def error(self) -> str | None: ...


class Sender(Protocol):
    """POSTs to a URL that passed the SSRF check at this very moment (``adapters.outbound``)."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome: ...


class Mailer(Protocol):
    def send(self, subject: str, text: str) -> None: ...


class SecretOpener(Protocol):
    def __call__(self, sealed: str) -> str: ...


class WebhookWorker:
    name = NAME

    def __init__(
        self,
        ledger: Ledger,
        source: EventSource,
        store: ReadStore,
        sender: Sender,
        open_secret: SecretOpener,
        clock: Callable[[], datetime],
        *,
        mailer: Mailer | None = None,
        leader: Leader = no_leader,
        interval: float = INTERVAL_S,
        spread: Callable[[], float] = lambda: random.uniform(-1.0, 1.0),
    ) -> None:
        self.ledger, self.source, self.store, self.sender = ledger, source, store, sender
        self.open_secret, self.clock, self.mailer = open_secret, clock, mailer
        self.leader, self.interval, self.spread = leader, interval, spread
        self.stop_event, self._wake = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        with self.store.transaction() as tx:
            deliveries.create_tables(tx)
            ensure_tracking(tx, TRACKING)
            deliveries.set_endpoint(tx, deliveries.EMAIL, ["Alert.Raised"], mailer is not None)

    def fan_out(self) -> int:
        """Enqueues the next batch of events for their subscribers; returns how many events it read."""
        with self.store.snapshot() as tx:
            after = tracked_position(tx, TRACKING)
        batch = self.source.read(after, BATCH)
        if not batch:
            return 0
        now = text_time(self.clock())
        lock = self.store.dialect == "postgres"
        with self.store.transaction() as tx:
            current = tracked_position(tx, TRACKING, lock=lock)
            for position, event in batch:
                if position > current:
                    self._fan_out_one(tx, position, event, now)
            advance(tx, TRACKING, batch[-1][0])
        return len(batch)

    def _fan_out_one(self, tx: Any, position: int, event: Any, now: str) -> None:
        if isinstance(event, WebhookEndpoint.Event):
            deliveries.apply_endpoint_event(tx, event, now)
        if not is_deliverable(event):
            return
        kind = event_type(event)
        for endpoint_id in deliveries.subscribers(tx, kind):
            payload = payload_for(position, event)
            ident = message_id(position, endpoint_id)
            deliveries.enqueue(tx, endpoint_id, position, ident, kind, payload, now)

    def deliver_due(self) -> int:
        """Attempts every delivery whose time has come; returns how many it attempted."""
        with self.store.snapshot() as tx:
            due = deliveries.due(tx, text_time(self.clock()), DUE_BATCH)
        for delivery in due:
            self._attempt(delivery)
        return len(due)

    def _attempt(self, d: deliveries.Delivery) -> None:
        now = self.clock()
        try:
            status, error = self._send(d, now)
        except Exception as failure:  # an endpoint gone, a mail server down: a failed attempt, retried
            status, error = None, type(failure).__name__
        if status is not None and 200 <= status < 300:
            self._record(d, "delivered", status, None, now, now)
            return
        first = parse_stamp(d.first_attempt_at) if d.first_attempt_at else now
        if gives_up(now - first):
            self._record(d, "failed", status, error, now, now)
            self._disable(d.endpoint_id, now)
            return
        self._record(d, "pending", status, error, now, now + backoff(d.attempts + 1, self.spread()))

    def _send(self, d: deliveries.Delivery, now: datetime) -> tuple[int | None, str | None]:
        if d.endpoint_id == deliveries.EMAIL:
            if self.mailer is None:
                return None, "no mailer"
            self.mailer.send(*mail_for(d.payload))
            return 250, None
        endpoint = self.ledger.webhook(UUID(d.endpoint_id))
        if not endpoint.enabled:
            return None, "endpoint disabled"
        stamp = int(now.timestamp())
        body = d.payload.encode()
        used = [self.open_secret(s) for s in endpoint.secrets_at(now)]
        headers = {
            "webhook-id": d.message_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature_header(used, d.message_id, stamp, body),
        }
        outcome = self.sender.post(endpoint.url, body, headers)
        return outcome.status, outcome.error

    def _record(
        self,
        d: deliveries.Delivery,
        state: str,
        status: int | None,
        error: str | None,
        now: datetime,
        at: datetime,
    ) -> None:
        with self.store.transaction() as tx:
            deliveries.record(tx, d, state, status, error, text_time(now), text_time(at))

    def _disable(self, endpoint_id: str, now: datetime) -> None:
        if endpoint_id == deliveries.EMAIL:
            return
        reason = "automatic: deliveries failed for the whole retry schedule"
        self.ledger.disable_webhook(UUID(endpoint_id), True, now, AuditContext.system(NAME, reason=reason))

    def run_once(self) -> int:
        return self.fan_out() + self.deliver_due()

    def wake(self, _: int | None = None) -> None:
        self._wake.set()

    def run(self) -> None:
        with self.leader(self.stop_event):
            while not self.stop_event.is_set():
                self._wake.clear()
                try:
                    while self.run_once() and not self.stop_event.is_set():
                        pass
                except Exception:  # a store outage must not kill the worker: log, wait, retry
                    log.exception("webhook pass failed; retrying")
                self._wake.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="keyledger-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
