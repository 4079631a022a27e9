"""The webhook worker against a receiver the test runs on loopback (allowed explicitly): signatures that
an independent Standard Webhooks implementation verifies, retries with backoff until acknowledged, an
endpoint disabled after a whole retry schedule of failures, re-sends, and alert e-mail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from standardwebhooks import Webhook

from adapters.event_source import LedgerEvents
from adapters.outbound import HttpSender, OutboundGuard, parse_networks
from adapters.response_seal import WebhookSecrets
from domain.alert import AlertKind
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from projections import deliveries
from projections.pages import Order
from projections.store import ReadStore
from tests.api.harness import Clock
from tests.workers.receiver import Receiver
from workers.webhooks import WebhookWorker

pytestmark = pytest.mark.timeout(120)
CTX = AuditContext("test")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.url = found.start()  # type: ignore[attr-defined]
    yield found
    found.stop()


def secrets_of(ledger: Ledger) -> WebhookSecrets:
    return WebhookSecrets(ledger.digests.key_for("webhook-secrets"))


def worker_of(ledger: Ledger, store: ReadStore, clock: Any, **extra: Any) -> WebhookWorker:
    sender = HttpSender(OutboundGuard(parse_networks(["127.0.0.1/32"])))
    return WebhookWorker(
        ledger,
        LedgerEvents(ledger),
        store,
        sender,
        secrets_of(ledger).open,
        clock,
        spread=lambda: 0.0,
        **extra,
    )


def endpoint(ledger: Ledger, url: str, now: datetime, types: list[str] | None = None) -> tuple[UUID, str]:
    secret, sealed = secrets_of(ledger).new()
    return ledger.register_webhook(url, types or ["Account.*"], "", sealed, now, CTX).value, secret


def log(store: ReadStore, endpoint_id: UUID) -> list[dict[str, Any]]:
    with store.snapshot() as tx:
        return deliveries.log_of(tx, str(endpoint_id), Order("position")).rows


def test_a_delivery_verifies_with_the_reference_implementation(
    ledger: Ledger, read_store: ReadStore, receiver: Receiver
) -> None:
    """webhook-id, webhook-timestamp and webhook-signature verify with ``standardwebhooks``; the body is
    the event's thin payload."""
    now = datetime.now(UTC)
    _, secret = endpoint(ledger, receiver.url, now)  # type: ignore[attr-defined]
    account = ledger.register("alice", "a long password", Role.USER, now, CTX).value
    worker = worker_of(ledger, read_store, lambda: datetime.now(UTC))
    worker.run_once()
    assert len(receiver.received) == 1
    sent = receiver.received[0]
    payload = Webhook(secret).verify(sent.body, sent.headers)
    assert payload["type"] == "Account.Registered"
    assert payload["data"]["aggregate_id"] == str(account)


def test_a_receiver_failing_five_times_gets_the_event_acknowledged_once(
    ledger: Ledger, read_store: ReadStore, receiver: Receiver, now: datetime
) -> None:
    """Five 500s, then a 200: six attempts with one webhook-id, spaced by the backoff; then nothing more."""
    receiver.statuses = [500] * 5
    clock = Clock(now)
    hook, _ = endpoint(ledger, receiver.url, now)  # type: ignore[attr-defined]
    ledger.register("alice", "a long password", Role.USER, now, CTX)
    worker = worker_of(ledger, read_store, clock)
    for _ in range(12):
        worker.run_once()
        clock.advance(minutes=5)
    assert [r.status for r in receiver.received] == [500] * 5 + [200]
    assert len(set(receiver.ids())) == 1
    (row,) = log(read_store, hook)
    assert (row["state"], row["attempts"], row["last_status"]) == ("delivered", 6, 200)


def test_an_endpoint_failing_for_the_whole_schedule_is_disabled(
    ledger: Ledger, read_store: ReadStore, receiver: Receiver, now: datetime
) -> None:
    """An endpoint that never answers 2xx is retried for over 24 hours, then disabled (an event)."""
    receiver.statuses = [503] * 100
    clock = Clock(now)
    hook, _ = endpoint(ledger, receiver.url, now)  # type: ignore[attr-defined]
    ledger.register("alice", "a long password", Role.USER, now, CTX)
    worker = worker_of(ledger, read_store, clock)
    for _ in range(40):
        worker.run_once()
        clock.advance(hours=1)
    (row,) = log(read_store, hook)
    assert row["state"] == "failed"
    assert 20 <= row["attempts"] <= 40
    assert len(receiver.received) == row["attempts"]
    found = ledger.webhook(hook)
    assert (found.enabled, found.disabled_for_failing) == (False, True)


def test_rotation_signs_with_both_secrets(ledger: Ledger, read_store: ReadStore, receiver: Receiver) -> None:
    """After a rotation each delivery carries two signatures: receivers on either secret verify it."""
    now = datetime.now(UTC)
    hook, old = endpoint(ledger, receiver.url, now)  # type: ignore[attr-defined]
    new, sealed = secrets_of(ledger).new()
    ledger.rotate_webhook_secret(hook, sealed, now, CTX)
    ledger.register("alice", "a long password", Role.USER, now, CTX)
    worker_of(ledger, read_store, lambda: datetime.now(UTC)).run_once()
    sent = receiver.received[0]
    assert len(sent.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(sent.body, sent.headers)


def test_a_resend_delivers_again_with_the_same_id(
    ledger: Ledger, read_store: ReadStore, receiver: Receiver, now: datetime
) -> None:
    """An admin's re-send (an event) puts the delivery back in line; the receiver sees the same id."""
    hook, _ = endpoint(ledger, receiver.url, now)  # type: ignore[attr-defined]
    ledger.register("alice", "a long password", Role.USER, now, CTX)
    worker = worker_of(ledger, read_store, Clock(now))
    worker.run_once()
    (row,) = log(read_store, hook)
    ledger.resend_webhook(hook, int(row["position"]), now, CTX)
    worker.run_once()
    worker.run_once()
    assert len(receiver.received) == 2
    assert len(set(receiver.ids())) == 1


def test_only_subscribed_types_and_active_endpoints_receive(
    ledger: Ledger, read_store: ReadStore, receiver: Receiver, now: datetime
) -> None:
    """An endpoint gets the types it asked for, and no event that happened while it was disabled."""
    hook, _ = endpoint(ledger, receiver.url, now, ["Alert.Raised"])  # type: ignore[attr-defined]
    ledger.register("alice", "a long password", Role.USER, now, CTX)
    worker = worker_of(ledger, read_store, Clock(now))
    worker.run_once()
    assert receiver.received == []
    ledger.disable_webhook(hook, False, now, CTX)
    ledger.raise_alert(AlertKind.ACCOUNT_MANY_IPS, "x", 6, now, now, CTX)
    worker.run_once()
    assert receiver.received == []
    ledger.enable_webhook(hook, now, CTX)
    ledger.raise_alert(AlertKind.ACCOUNT_MANY_IPS, "y", 6, now, now, CTX)
    worker.run_once()
    worker.run_once()
    assert [json.loads(r.body)["data"]["subject"] for r in receiver.received] == ["y"]
