"""W10: NATS fan-out of the ledger's events (BENCHMARKS.md).

A private ``nats-server`` with JetStream (``tests/natsserver.py``: a free loopback port, its store in a
``mktemp -d`` directory) and a log of real events written by ledger commands on SQLite
(``tests/bench/event_log.py``). The first ``MESSAGES`` events become relay-shaped messages
(``workers.relay.subject_for`` / ``message_for``, header ``Nats-Msg-Id`` = position), built before the clock
starts. Each round runs, each on a publisher connection with a subscriber connection beside it, until the
subscriber has received every message:

* ``core`` (the baseline): core NATS ``publish`` without acknowledgement, then ``flush``; a core subscriber on
  ``keyledger.events.>`` (as ``workers/wakeup.py`` listens). No stream exists in this variant, so the server
  stores nothing.
* ``js_acked``: JetStream ``publish`` awaiting each acknowledgement, one after another, as the relay does,
  into a fresh ``KEYLEDGER_EVENTS`` stream (``adapters.jetstream.ensure_streams``: the relay's own config); an
  ordered push consumer on the stream receives them.
* ``relay``: the relay itself, ``Relay.publish_batch`` in a loop over the same ``MESSAGES`` stored events
  (reading the store, decoding, building each message, acked publishes, advancing its tracking row in a
  SQLite read store), into a fresh stream, with the same consumer.
* ``js_async`` (what batching would buy): JetStream ``publish_async``, the acknowledgements of each
  ``relay.BATCH`` messages awaited together, with the same consumer.

The stream is deleted and created again before every JetStream variant, so message-id de-duplication never
drops a message. Latency per message: the publish call's start to the subscriber's callback.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import api
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from adapters.event_source import LedgerEvents
from adapters.jetstream import ensure_streams
from adapters.read_store import SqliteReadStore
from domain.ledger.service import Ledger
from projections.rebuild import UpTo
from projections.runner import TRACKING, ensure_tracking
from tests.bench import harness, report
from tests.bench.event_log import Plan, event_mix, mix_line, populate, sqlite_topics
from tests.bench.harness import Sample
from tests.natsserver import NatsServer
from tests.stores import make_ledger, sqlite_env
from workers import relay

NAME = "w10"
ROUNDS = harness.smoke(7, 1)
MESSAGES = harness.smoke(20_000, 100)
WARM_UP_MESSAGES = harness.smoke(1_000, 10)
PLAN = Plan(
    writers=1,
    accounts_per_writer=harness.smoke(560, 5),
    random_ops=harness.smoke(1_000, 20),
    minimum_events=MESSAGES,
)
SUBJECTS = f"{relay.SUBJECT_PREFIX}.>"
ACK_TIMEOUT_S = 5.0  # as Relay.run's JetStream context
DELIVERY_TIMEOUT_S = 60.0
PROBE_ID = 0  # no event has position 0: the core variant's readiness probe
PROBE_EVERY_S = 0.2
PROBE_TIMEOUT_S = 20.0
MAX_BATCHES = 10_000

LABELS = {
    "core": "core NATS publish, no ack + core subscriber",
    "js_acked": "JetStream publish awaiting each ack + consumer",
    "relay": "Relay.publish_batch loop (store → JetStream) + consumer",
    "js_async": f"JetStream publish_async, acks per {relay.BATCH} + consumer",
}
RATIOS = {
    "js_acked_vs_core": ("js_acked", "core", "JetStream acked ÷ core NATS"),
    "relay_vs_js_acked": ("relay", "js_acked", "relay end to end ÷ JetStream acked"),
    "relay_vs_core": ("relay", "core", "relay end to end ÷ core NATS"),
    "js_async_vs_js_acked": ("js_async", "js_acked", "publish_async ÷ acked publish, one by one"),
}

Message = tuple[str, bytes, int]  # subject, body, position


class StampingJetStream(JetStreamContext):
    """A JetStream context that notes when each message (by its ``Nats-Msg-Id``) was handed to publish."""

    def __init__(self, conn: Client, timeout: float) -> None:
        super().__init__(conn, timeout=timeout)
        self.sent: dict[int, float] = {}

    async def publish(
        self,
        subject: str,
        payload: bytes = b"",
        timeout: float | None = None,
        stream: str | None = None,
        headers: dict[str, Any] | None = None,
        msg_ttl: float | None = None,
    ) -> api.PubAck:
        msg_id = str((headers or {}).get("Nats-Msg-Id", ""))
        if msg_id.isdigit():  # an event (the relay's alert copies carry "alert-<position>")
            self.sent[int(msg_id)] = time.perf_counter()
        return await super().publish(subject, payload, timeout, stream, headers, msg_ttl)


class ConnectedPublisher:
    """The relay's ``Publisher`` over a JetStream context this benchmark already holds."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def connect(self) -> None:
        return

    async def publish(self, subject: str, body: bytes, message_id: str) -> None:
        await self.js.publish(subject, body, headers={"Nats-Msg-Id": message_id})

    async def close(self) -> None:
        return


class Receiver:
    """Counts distinct positions received; ``done`` is set when all ``expected`` have arrived."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.received: dict[int, float] = {}
        self.repeats = 0
        self.done = asyncio.Event()
        self.probed = asyncio.Event()

    async def on_message(self, msg: Msg) -> None:
        at = time.perf_counter()
        position = int((msg.headers or {})["Nats-Msg-Id"])
        if position == PROBE_ID:
            self.probed.set()
            return
        if position in self.received:
            self.repeats += 1
            return
        self.received[position] = at
        if len(self.received) >= self.expected:
            self.done.set()

    async def wait(self) -> None:
        try:
            await asyncio.wait_for(self.done.wait(), DELIVERY_TIMEOUT_S)
        except TimeoutError:
            raise RuntimeError(
                f"received {len(self.received):,} of {self.expected:,} messages in {DELIVERY_TIMEOUT_S} s"
            ) from None

    def latencies(self, sent: dict[int, float]) -> list[float]:
        return [at - sent[position] for position, at in self.received.items()]


def messages_from(ledger: Ledger, count: int) -> list[Message]:
    """The first ``count`` events of the log as the relay would publish them."""
    source = LedgerEvents(ledger)
    found: list[Message] = []
    after = 0
    for _ in range(MAX_BATCHES):
        batch = source.read(after, relay.BATCH)
        if not batch or len(found) >= count:
            break
        found.extend((relay.subject_for(e), relay.message_for(p, e), p) for p, e in batch)
        after = batch[-1][0]
    if len(found) < count:
        raise RuntimeError(f"the log holds {len(found):,} events, fewer than {count:,}")
    return found[:count]


class Fanout:
    """The connections and the variants; every variant returns a ``Sample`` of its timed part only."""

    def __init__(self, url: str, ledger: Ledger, store: SqliteReadStore, messages: list[Message]) -> None:
        self.url, self.ledger, self.store, self.messages = url, ledger, store, messages
        self.pub: Client | None = None
        self.sub: Client | None = None
        self.duplicates = 0
        self.repeats = 0
        self._receiver = Receiver(0)

    async def connect(self) -> None:
        self.pub = await nats.connect(self.url, connect_timeout=2)
        self.sub = await nats.connect(self.url, connect_timeout=2)

    async def close(self) -> None:
        for client in (self.pub, self.sub):
            if client is not None and not client.is_closed:
                await client.close()

    def clients(self) -> tuple[Client, Client]:
        if self.pub is None or self.sub is None:
            raise RuntimeError("not connected")
        return self.pub, self.sub

    async def _no_stream(self) -> None:
        try:
            await self.clients()[0].jetstream(timeout=ACK_TIMEOUT_S).delete_stream(relay.STREAM)
        except NotFoundError:
            return

    async def _fresh_stream(self) -> JetStreamContext.PushSubscription:
        """A new empty stream with an ordered consumer on it; returns the consumer's subscription."""
        await self._no_stream()
        pub, sub = self.clients()
        await ensure_streams(pub.jetstream(timeout=ACK_TIMEOUT_S), relay.STREAMS)
        return await sub.jetstream(timeout=ACK_TIMEOUT_S).subscribe(
            SUBJECTS, stream=relay.STREAM, cb=self._receiver.on_message, ordered_consumer=True
        )

    async def _finish(
        self,
        began: float,
        sent: dict[int, float],
        subscription: Subscription,
        count: int,
        acks: Sequence[api.PubAck],
    ) -> Sample:
        await self._receiver.wait()
        seconds = time.perf_counter() - began
        await subscription.unsubscribe()
        self.duplicates += sum(1 for ack in acks if ack.duplicate)
        self.repeats += self._receiver.repeats
        return Sample(count, seconds, self._receiver.latencies(sent))

    async def _delivered_probe(self, pub: Client) -> None:
        """Publishes a probe until the subscriber has one. Right after the previous variant deleted its
        stream, this nats-server (2.9) sometimes delivers no core message to a fresh subscription for a
        while (seen in about one smoke run in four: 0 of 10 received in 60 s, the subscriber's connection
        reading nothing); the timed part starts only once delivery works."""
        subject = self.messages[0][0]
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        while time.monotonic() < deadline:
            await pub.publish(subject, b"probe", headers={"Nats-Msg-Id": str(PROBE_ID)})
            await pub.flush()
            try:
                await asyncio.wait_for(self._receiver.probed.wait(), PROBE_EVERY_S)
                return
            except TimeoutError:
                continue
        raise RuntimeError(f"no core message reached the subscriber in {PROBE_TIMEOUT_S} s")

    async def core(self, count: int) -> Sample:
        await self._no_stream()
        pub, sub = self.clients()
        self._receiver = Receiver(count)
        subscription = await sub.subscribe(SUBJECTS, cb=self._receiver.on_message)
        await sub.flush()
        await self._delivered_probe(pub)
        sent: dict[int, float] = {}
        began = time.perf_counter()
        for subject, body, position in self.messages[:count]:
            sent[position] = time.perf_counter()
            await pub.publish(subject, body, headers={"Nats-Msg-Id": str(position)})
        await pub.flush()
        return await self._finish(began, sent, subscription, count, [])

    async def js_acked(self, count: int) -> Sample:
        self._receiver = Receiver(count)
        subscription = await self._fresh_stream()
        js = StampingJetStream(self.clients()[0], ACK_TIMEOUT_S)
        acks: list[api.PubAck] = []
        began = time.perf_counter()
        for subject, body, position in self.messages[:count]:
            acks.append(await js.publish(subject, body, headers={"Nats-Msg-Id": str(position)}))
        return await self._finish(began, js.sent, subscription, count, acks)

    async def js_async(self, count: int) -> Sample:
        self._receiver = Receiver(count)
        subscription = await self._fresh_stream()
        js = self.clients()[0].jetstream(timeout=ACK_TIMEOUT_S)
        acks: list[api.PubAck] = []
        sent: dict[int, float] = {}
        pending: list[asyncio.Future[api.PubAck]] = []
        began = time.perf_counter()
        for subject, body, position in self.messages[:count]:
            sent[position] = time.perf_counter()
            pending.append(await js.publish_async(subject, body, headers={"Nats-Msg-Id": str(position)}))
            if len(pending) == relay.BATCH:
                acks.extend(await asyncio.gather(*pending))
                pending = []
        acks.extend(await asyncio.gather(*pending))
        return await self._finish(began, sent, subscription, count, acks)

    async def run_relay(self, count: int) -> Sample:
        """The relay from position 0 over the first ``count`` stored events."""
        last = self.messages[count - 1][2]
        await asyncio.to_thread(self._rewind_relay)
        self._receiver = Receiver(count)
        subscription = await self._fresh_stream()
        js = StampingJetStream(self.clients()[0], ACK_TIMEOUT_S)
        worker = relay.Relay(UpTo(LedgerEvents(self.ledger), last), self.store, ConnectedPublisher(js))
        began = time.perf_counter()
        published = 0
        for _ in range(MAX_BATCHES):
            done = await worker.publish_batch()
            if done == 0:
                break
            published += done
        if published != count:
            raise RuntimeError(f"the relay published {published:,} events, not {count:,}")
        return await self._finish(began, js.sent, subscription, count, [])

    def _rewind_relay(self) -> None:
        with self.store.transaction() as tx:
            ensure_tracking(tx, relay.NAME)
            rewind = f"UPDATE {TRACKING} SET position = 0 WHERE name = ?"  # noqa: S608 -- a module constant
            tx.execute(rewind, [relay.NAME])


def server_version() -> str:
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


def measure(directory: Path) -> dict[str, Any]:
    ledger = make_ledger(sqlite_env(directory))
    server = NatsServer(directory / "nats")
    store = SqliteReadStore(directory / "relay.sqlite3")
    loop = asyncio.new_event_loop()
    fanout: Fanout | None = None
    try:
        print(f"  writing the log: {PLAN.describe()}", flush=True)
        population = populate(ledger, PLAN)
        population["mix"] = event_mix(sqlite_topics(directory / "ledger.sqlite3"))
        messages = messages_from(ledger, MESSAGES)
        server.start()
        fanout = Fanout(server.url, ledger, store, messages)
        loop.run_until_complete(fanout.connect())
        bench = fanout

        def variant(run: Callable[[int], Any], count: int) -> Callable[[], Sample]:
            return lambda: loop.run_until_complete(run(count))

        def variants(count: int) -> dict[str, Callable[[], Sample]]:
            return {
                "core": variant(bench.core, count),
                "js_acked": variant(bench.js_acked, count),
                "relay": variant(bench.run_relay, count),
                "js_async": variant(bench.js_async, count),
            }

        print("  warm-up", flush=True)
        for run in variants(WARM_UP_MESSAGES).values():
            run()
        rounds, loads = harness.interleave(variants(MESSAGES), ROUNDS)
        sizes = [len(body) for _, body, _ in messages]
        return {
            "rounds": rounds,
            "loads": loads,
            "population": population,
            "message_bytes": {"min": min(sizes), "max": max(sizes), "mean": round(sum(sizes) / len(sizes))},
            "subjects": len({subject for subject, _, _ in messages}),
            "duplicate_acks": bench.duplicates,
            "repeated_deliveries": bench.repeats,
        }
    finally:
        if fanout is not None:
            loop.run_until_complete(fanout.close())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        server.stop()
        store.close()
        ledger.close()


def context(results: dict[str, Any]) -> list[str]:
    before, after, population = results["machine_before"], results["machine_after"], results["population"]
    size = results["message_bytes"]
    return [
        f"W10 NATS fan-out, {ROUNDS} interleaved rounds of {MESSAGES:,} messages each; "
        f"{results['nats_server']}",
        f"machine: {before['cores']} cores, load average {before['load_average']} before and "
        f"{after['load_average']} after; Python {before['python']}",
        f"1-minute load before each round: {results['load_1min_before_each_round']}",
        f"messages: relay-shaped, {size['min']}-{size['max']} bytes (mean {size['mean']}), "
        f"{results['subjects']} subjects; stream {relay.STREAM} (file storage, server default sync)",
        f"log: {population['events']:,} events on SQLite, written in {population['seconds']} s by "
        f"{population['plan']}",
        f"  mix: {mix_line(population['mix'])}",
        f"duplicate acks {results['duplicate_acks']}, repeated deliveries {results['repeated_deliveries']} "
        "(both must be 0)",
    ]


def main() -> None:
    print(f"W10 NATS fan-out: {ROUNDS} interleaved rounds of {MESSAGES:,} messages", flush=True)
    before = harness.machine()
    with tempfile.TemporaryDirectory(prefix="keyledger-bench-w10-") as tmp:
        measured = measure(Path(tmp))
    rounds = measured["rounds"]
    results: dict[str, Any] = {
        "workload": "W10 NATS fan-out of relay-shaped messages (publish and consume)",
        "nats_server": server_version(),
        "rounds": ROUNDS,
        "messages_per_round": MESSAGES,
        "machine_before": before,
        "machine_after": harness.machine(),
        "load_1min_before_each_round": measured["loads"],
        "population": measured["population"],
        "message_bytes": measured["message_bytes"],
        "subjects": measured["subjects"],
        "duplicate_acks": measured["duplicate_acks"],
        "repeated_deliveries": measured["repeated_deliveries"],
        **harness.summarise(rounds, LABELS, RATIOS),
    }
    print(report.render(results, harness.previous(NAME), context(results)))
    print(f"\nwritten to {harness.write(NAME, results)}")


if __name__ == "__main__":
    main()
