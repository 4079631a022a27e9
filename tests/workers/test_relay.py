"""The NATS relay against a real JetStream server on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import nats
import pytest

from adapters.event_source import LedgerEvents
from adapters.jetstream import JetStreamPublisher
from domain.alert import AlertKind
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from projections.store import ReadStore
from tests.natsserver import NatsServer
from workers.relay import ALERT_STREAM, STREAM, STREAMS, Relay

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


def relay_of(ledger: Ledger, read_store: ReadStore, server: NatsServer) -> Relay:
    return Relay(LedgerEvents(ledger), read_store, JetStreamPublisher(server.url, STREAMS))


async def stream_messages(url: str) -> list[tuple[str, dict[str, object], str]]:
    """Every message in the stream: subject, body, message id."""
    client = await nats.connect(url, connect_timeout=2)
    js = client.jetstream()
    info = await js.stream_info(STREAM)
    found = []
    for seq in range(1, info.state.last_seq + 1):
        msg = await js.get_msg(STREAM, seq)
        found.append(
            (msg.subject or "", json.loads(msg.data or b"{}"), (msg.headers or {}).get("Nats-Msg-Id", ""))
        )
    await client.close()
    return found


async def relay_until(relay: Relay, head: int, timeout: float = 20.0) -> None:
    """Runs the relay until its tracked position reaches ``head`` (bounded)."""
    task = asyncio.create_task(relay.run())
    deadline = asyncio.get_running_loop().time() + timeout
    while relay._position() < head:
        assert asyncio.get_running_loop().time() < deadline, "relay did not catch up"
        await asyncio.sleep(0.05)
    relay.stop()
    await asyncio.wait_for(task, 10)


def write_some(ledger: Ledger, now: datetime, ctx: AuditContext, n: int) -> int:
    for i in range(n):
        ledger.register(f"relayuser{i}_{now.microsecond}", "correct horse", Role.USER, now, ctx)
    return ledger.recorder.max_notification_id() or 0


def test_every_event_published_once_without_personal_data(
    ledger: Ledger, read_store: ReadStore, nats_server: NatsServer, now: datetime, ctx: AuditContext
) -> None:
    """Each committed event is one message on keyledger.events.<aggregate>.<event>, id = position."""
    head = write_some(ledger, now, ctx, 3)
    asyncio.run(
        relay_until(
            Relay(LedgerEvents(ledger), read_store, JetStreamPublisher(nats_server.url, STREAMS)), head
        )
    )
    messages = asyncio.run(stream_messages(nats_server.url))
    positions = [n.id for n in ledger.recorder.select_notifications(start=1, limit=100)]
    assert [int(m[2]) for m in messages] == positions
    assert {m[0] for m in messages} == {
        "keyledger.events.Account.Registered",
        "keyledger.events.IndexEntry.Claimed",
    }
    text = json.dumps([m[1] for m in messages])
    assert "relayuser" not in text
    assert ctx.client_ip is not None
    assert ctx.client_ip not in text


def test_restart_replays_without_gap_or_duplicate(
    ledger: Ledger, read_store: ReadStore, nats_server: NatsServer, now: datetime, ctx: AuditContext
) -> None:
    """A relay that lost its tracking republishes; JetStream drops the duplicates, and nothing is missing."""
    head = write_some(ledger, now, ctx, 2)
    asyncio.run(
        relay_until(
            Relay(LedgerEvents(ledger), read_store, JetStreamPublisher(nats_server.url, STREAMS)), head
        )
    )
    with read_store.transaction() as tx:
        tx.execute("UPDATE rm_tracking SET position = 1 WHERE name = 'relay'")
    head = write_some(ledger, now.replace(microsecond=7), ctx, 2)
    asyncio.run(
        relay_until(
            Relay(LedgerEvents(ledger), read_store, JetStreamPublisher(nats_server.url, STREAMS)), head
        )
    )
    ids = [int(m[2]) for m in asyncio.run(stream_messages(nats_server.url))]
    assert ids == [n.id for n in ledger.recorder.select_notifications(start=1, limit=100)]


def test_nats_down_then_back(
    ledger: Ledger, read_store: ReadStore, nats_server: NatsServer, now: datetime, ctx: AuditContext
) -> None:
    """Writes succeed while NATS is down; when it returns the relay catches up with no gap."""
    nats_server.stop()
    head = write_some(ledger, now, ctx, 2)

    async def scenario() -> None:
        relay = relay_of(ledger, read_store, nats_server)
        task = asyncio.create_task(relay.run())
        await asyncio.sleep(1.5)
        assert relay._position() == 0
        nats_server.start()
        deadline = asyncio.get_running_loop().time() + 20
        while relay._position() < head:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.1)
        relay.stop()
        await asyncio.wait_for(task, 10)

    asyncio.run(scenario())
    ids = [int(m[2]) for m in asyncio.run(stream_messages(nats_server.url))]
    assert ids == [n.id for n in ledger.recorder.select_notifications(start=1, limit=100)]


def test_stream_config_is_idempotent(nats_server: NatsServer) -> None:
    """Ensuring the stream twice keeps one stream with the keyledger.events subjects."""

    async def twice() -> list[str]:
        for _ in range(2):
            publisher = JetStreamPublisher(nats_server.url, STREAMS)
            await publisher.connect()
            await publisher.close()
        client = await nats.connect(nats_server.url)
        info = await client.jetstream().stream_info(STREAM)
        await client.close()
        return list(info.config.subjects or [])

    assert asyncio.run(twice()) == ["keyledger.events.>"]


def test_alerts_are_published_on_their_own_subject(
    ledger: Ledger, read_store: ReadStore, nats_server: NatsServer, now: datetime, ctx: AuditContext
) -> None:
    """An alert event goes to keyledger.events.Alert.Raised and to keyledger.alerts.<kind>."""
    bucket = now.replace(minute=0)
    ledger.raise_alert(AlertKind.ACCOUNT_MANY_IPS, "some-account", 6, bucket, now, ctx)
    head = ledger.recorder.max_notification_id() or 0
    asyncio.run(
        relay_until(
            Relay(LedgerEvents(ledger), read_store, JetStreamPublisher(nats_server.url, STREAMS)), head
        )
    )

    async def alerts() -> list[str]:
        client = await nats.connect(nats_server.url)
        js = client.jetstream()
        msg = await js.get_msg(ALERT_STREAM, 1)
        await client.close()
        return [msg.subject or "", json.loads(msg.data or b"{}")["event_type"]]

    assert asyncio.run(alerts()) == ["keyledger.alerts.account_many_ips", "Alert.Raised"]
