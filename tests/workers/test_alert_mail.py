"""Alerts reach the admins' mailboxes when SMTP is configured: an SMTP server the test runs on loopback
receives one message per alert, and a mail server that is down is retried like any delivery."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from adapters.event_source import LedgerEvents
from adapters.mailer import SmtpConfig, SmtpMailer
from adapters.outbound import HttpSender, OutboundGuard
from adapters.response_seal import WebhookSecrets
from domain.alert import AlertKind
from domain.context import AuditContext
from domain.ledger.service import Ledger
from projections.store import ReadStore
from tests.api.harness import Clock
from workers.webhooks import WebhookWorker

pytestmark = pytest.mark.timeout(60)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def worker_with(ledger: Ledger, store: ReadStore, clock: Clock, port: int) -> WebhookWorker:
    config = SmtpConfig.from_url(f"smtp://127.0.0.1:{port}", "keyledger@example.test", ("ops@example.test",))
    secrets = WebhookSecrets(ledger.digests.key_for("webhook-secrets"))
    return WebhookWorker(
        ledger,
        LedgerEvents(ledger),
        store,
        HttpSender(OutboundGuard()),
        secrets.open,
        clock,
        mailer=SmtpMailer(config),
        spread=lambda: 0.0,
    )


def test_an_alert_is_mailed_to_the_admins(
    ledger: Ledger, read_store: ReadStore, inbox: tuple[Inbox, int], now: datetime
) -> None:
    """One alert, one e-mail to the configured addresses, naming the alert's kind."""
    handler, port = inbox
    worker = worker_with(ledger, read_store, Clock(now), port)
    ledger.raise_alert(AlertKind.IP_MANY_ACCOUNTS, "198.51.100.0/24", 7, now, now, AuditContext("test"))
    worker.run_once()
    worker.run_once()
    ((recipients, message),) = handler.messages
    assert recipients == ["ops@example.test"]
    assert "ip_many_accounts" in message["Subject"]


def test_a_mail_server_down_is_retried(ledger: Ledger, read_store: ReadStore, now: datetime) -> None:
    """With the SMTP server unreachable the alert waits, and goes out once it is back."""
    handler, port = Inbox(), free_port()
    clock = Clock(now)
    worker = worker_with(ledger, read_store, clock, port)
    ledger.raise_alert(AlertKind.ACCOUNT_MANY_IPS, "someone", 6, now, now, AuditContext("test"))
    worker.run_once()
    assert handler.messages == []
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(minutes=1)
        worker.run_once()
    finally:
        controller.stop()
    assert len(handler.messages) == 1
