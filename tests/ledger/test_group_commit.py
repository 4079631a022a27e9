"""Group commit on PostgreSQL (``adapters.group_commit``): concurrent saves share one transaction, a
conflicting save fails alone, and the others are stored exactly once with consecutive notification ids."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import DictRow

from adapters.group_commit import GroupCommitRecorder, _Save
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from tests.stores import PG_DSN, make_ledger, pg_env, pg_schema

pytestmark = pytest.mark.postgres
TOPIC = "tests.ledger:Stored"


class GatedRecorder(GroupCommitRecorder):
    """Holds its first batch until ``gate`` opens, so that the saves arriving meanwhile form one batch."""

    gate = threading.Event()
    held = threading.Event()

    def _commit_batch(self, batch: list[_Save]) -> None:
        if not self.batches:
            self.held.set()
            assert self.gate.wait(30)
        super()._commit_batch(batch)


@pytest.fixture
def gated_ledger() -> Iterator[Ledger]:
    with pg_schema() as schema:
        env = {**pg_env(schema, pool_size=8), "APPLICATION_RECORDER_TOPIC": f"{__name__}:GatedRecorder"}
        GatedRecorder.gate, GatedRecorder.held = threading.Event(), threading.Event()
        app = make_ledger(env)
        yield app
        app.close()


def stored(originator: uuid.UUID, version: int, body: bytes) -> StoredEvent:
    return StoredEvent(originator, version, TOPIC, body)


def rows(ledger: Ledger) -> list[dict[str, Any]]:
    recorder = ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    table = f"{recorder.datastore.schema}.{recorder.events_table_name}"
    with psycopg.connect(PG_DSN) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(f"SELECT * FROM {table} ORDER BY notification_id")  # noqa: S608 (test's own schema)
        found: list[DictRow] = cur.fetchall()
    return [dict(r) for r in found]


def queued(recorder: GroupCommitRecorder, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(recorder._queue) < count:
        assert time.monotonic() < deadline, "the saves never queued"
        time.sleep(0.005)


def test_a_conflicting_save_fails_alone_and_the_others_commit_once(gated_ledger: Ledger) -> None:
    """In one batch, a save racing an earlier save of the batch and a save of a version already stored
    get IntegrityError; every other save is stored exactly once, with consecutive ids."""
    recorder = gated_ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    x, y, w, e, f, z = (uuid.uuid4() for _ in range(6))
    GatedRecorder.gate.set()
    recorder.insert_events([stored(e, 1, b'{"n":"e1"}')])  # stored before
    GatedRecorder.gate.clear()
    GatedRecorder.held.clear()
    recorder.batches.clear()
    saves: list[Sequence[StoredEvent]] = [
        [stored(x, 1, b'{"n":"x1 first"}')],
        [stored(x, 1, b'{"n":"x1 second"}')],  # conflicts with the save before it in the batch
        [stored(y, 1, b'{"n":"y1"}'), stored(w, 1, b'{"n":"w1"}')],
        [stored(f, 1, b'{"n":"f1"}'), stored(e, 1, b'{"n":"e1 again"}')],  # e v1 is stored already
        [stored(f, 1, b'{"n":"f1 ok"}')],  # free: the save above that named f was refused whole
    ]
    with ThreadPoolExecutor(len(saves) + 1) as pool:
        leader = pool.submit(recorder.insert_events, [stored(z, 1, b'{"n":"z1"}')])
        assert GatedRecorder.held.wait(30), "the first batch never reached the gate"
        futures: list[Future[Sequence[int] | None]] = []
        for index, events in enumerate(saves):
            futures.append(pool.submit(recorder.insert_events, events))
            queued(recorder, index + 1)
        GatedRecorder.gate.set()
        assert leader.result(30)
        outcomes = [f_.exception(30) or f_.result() for f_ in futures]
    assert recorder.batches == [1, len(saves)]
    assert isinstance(outcomes[1], IntegrityError)
    assert isinstance(outcomes[3], IntegrityError)
    ids = [i for o in (outcomes[0], outcomes[2], outcomes[4]) for i in o]  # type: ignore[union-attr]
    assert ids == list(range(ids[0], ids[0] + 4)), "one transaction's ids are consecutive"
    by_key = {(r["originator_id"], r["originator_version"]): bytes(r["state"]) for r in rows(gated_ledger)}
    assert by_key == {
        (e, 1): b'{"n":"e1"}',
        (z, 1): b'{"n":"z1"}',
        (x, 1): b'{"n":"x1 first"}',
        (y, 1): b'{"n":"y1"}',
        (w, 1): b'{"n":"w1"}',
        (f, 1): b'{"n":"f1 ok"}',
    }


def test_commands_retry_their_conflicts_and_apply_exactly_once(now: datetime, ctx: AuditContext) -> None:
    """Sixteen commands on one account at once, each reading it from the cache: each conflicting save is
    retried on fresh state, so the account ends with exactly sixteen new events, the log has no duplicates
    and the cache ends at the stored version."""
    with pg_schema() as schema:
        ledger = make_ledger(pg_env(schema, pool_size=16))
        try:
            assert ledger.checks_reads
            account = ledger.register("crowd", "correct horse", Role.USER, now, ctx).value
            limits = list(range(2, 18))
            barrier = threading.Barrier(len(limits))

            def set_limit(limit: int) -> int | None:
                barrier.wait()
                return ledger.set_device_limit(account, limit, now, ctx).position

            with ThreadPoolExecutor(len(limits)) as pool:
                positions = list(pool.map(set_limit, limits))
            events = [r for r in rows(ledger) if r["originator_id"] == account]
            assert len(positions) == len(set(positions)) == len(limits)
            assert [r["originator_version"] for r in events] == list(range(1, len(limits) + 2))
            recorder = ledger.recorder
            assert isinstance(recorder, GroupCommitRecorder)
            assert max(recorder.batches) > 1, "the commands never shared a batch"
            assert ledger.repository.cache is not None
            assert ledger.repository.cache.get(account).version == len(limits) + 1
        finally:
            ledger.close()


def test_a_failed_batch_commits_each_save_alone(gated_ledger: Ledger) -> None:
    """When the batch's transaction fails for another reason, each save is committed on its own: the
    good ones are stored once, the conflicting one fails."""
    recorder = gated_ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    GatedRecorder.gate.set()
    a, b = uuid.uuid4(), uuid.uuid4()
    recorder.insert_events([stored(b, 1, b'{"n":"b1"}')])

    def broken(_batch: list[_Save]) -> None:
        raise psycopg.OperationalError("the connection dropped")

    recorder._commit_batch = broken  # type: ignore[method-assign,assignment]
    assert recorder.insert_events([stored(a, 1, b'{"n":"a1"}')])
    with pytest.raises(IntegrityError):
        recorder.insert_events([stored(b, 1, b'{"n":"b1 again"}')])
    assert [(r["originator_id"], bytes(r["state"])) for r in rows(gated_ledger)] == [
        (b, b'{"n":"b1"}'),
        (a, b'{"n":"a1"}'),
    ]


def test_an_error_inside_the_batch_query_rolls_back_and_each_save_commits_alone(
    gated_ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    """A statement failing on the server after BEGIN (the batch goes as one query) rolls the transaction
    back, leaves its connection usable, and each save is then committed alone, once."""
    recorder = gated_ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    GatedRecorder.gate.set()
    head, statements, batch = recorder._frame or recorder._render()
    recorder._frame = (head + b"SELECT 1 / 0; ", statements + 1, batch)
    a = uuid.uuid4()
    assert recorder.insert_events([stored(a, 1, b'{"n":"a1"}')])
    assert "division by zero" in caplog.text  # the batch failed; the save went alone
    recorder._frame = (head, statements, batch)
    assert recorder.insert_events([stored(a, 2, b'{"n":"a2"}')])  # the pool's connections still work
    assert [(r["originator_version"], bytes(r["state"])) for r in rows(gated_ledger)] == [
        (1, b'{"n":"a1"}'),
        (2, b'{"n":"a2"}'),
    ]


def test_event_states_go_through_the_query_text_byte_for_byte(gated_ledger: Ledger) -> None:
    """States and topics are bound by the driver's quoting into the query's text: quotes, backslashes,
    percent signs, NUL and every other byte come back as they went."""
    recorder = gated_ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    GatedRecorder.gate.set()
    a = uuid.uuid4()
    awkward = bytes(range(256)) + b"'; DROP TABLE x; -- \\x00 %s %(n)s \"{}"
    topic = "tests.ledger:It's %s"
    ids = recorder.insert_events([StoredEvent(a, 1, topic, awkward)])
    assert ids is not None
    assert len(ids) == 1
    assert [(r["topic"], bytes(r["state"])) for r in rows(gated_ledger)] == [(topic, awkward)]


PLAIN_TOPICS = st.sampled_from(["domain.account:Account.Registered", "tests.ledger:Stored", "a_b.c:D"])
# Any text PostgreSQL can hold (UTF-8, no NUL), most of it not plain.
TOPICS = PLAIN_TOPICS | st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(st.tuples(TOPICS, st.binary(max_size=300)), min_size=1, max_size=6))
def test_a_batch_stores_every_topic_and_state_as_given(
    gated_ledger: Ledger, events: list[tuple[str, bytes]]
) -> None:
    """Whatever the topics (plain ones are written into the query directly, others quoted by the driver)
    and the state bytes (written as hex), the stored rows are the events as given, in order."""
    recorder = gated_ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    GatedRecorder.gate.set()
    a = uuid.uuid4()
    sent = [StoredEvent(a, n + 1, topic, state) for n, (topic, state) in enumerate(events)]
    ids = recorder.insert_events(sent)
    assert ids is not None
    assert ids == sorted(ids)
    found = [(r["topic"], bytes(r["state"])) for r in rows(gated_ledger) if r["originator_id"] == a]
    assert found == events


Reads = list[tuple[uuid.UUID, int]]


def one_batch(
    recorder: GroupCommitRecorder, saves: list[tuple[list[StoredEvent], Reads]], leader: uuid.UUID
) -> list[Any]:
    """``saves`` queued behind a held first batch (one event of ``leader``), so they form one batch; each
    save's ids or its error."""
    with ThreadPoolExecutor(len(saves) + 1) as pool:
        first = pool.submit(recorder.insert_events, [stored(leader, 1, b"{}")])
        assert GatedRecorder.held.wait(30), "the first batch never reached the gate"
        futures: list[Future[Sequence[int] | None]] = []
        for index, (events, reads) in enumerate(saves):
            futures.append(pool.submit(recorder.insert_events, events, reads=reads))
            queued(recorder, index + 1)
        GatedRecorder.gate.set()
        assert first.result(30)
        return [f.exception(30) or f.result() for f in futures]


def test_the_store_refuses_a_save_whose_reads_went_stale(gated_ledger: Ledger) -> None:
    """In one batch, a save that read a version stored before the batch, or saved by an earlier save of
    the batch, gets IntegrityError; a save whose reads are still current commits, once."""
    recorder = gated_ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    read, written, mine, other, late, leader_id = (uuid.uuid4() for _ in range(6))
    GatedRecorder.gate.set()
    recorder.insert_events([stored(read, 1, b"{}"), stored(read, 2, b"{}"), stored(written, 1, b"{}")])
    GatedRecorder.gate.clear()
    GatedRecorder.held.clear()
    recorder.batches.clear()
    saves: list[tuple[list[StoredEvent], Reads]] = [
        ([stored(mine, 1, b"{}")], [(read, 2)]),  # read version 1: version 2 was stored before
        ([stored(written, 2, b"{}")], []),
        ([stored(other, 1, b"{}")], [(written, 2)]),  # read version 1: the save above stores 2
        ([stored(late, 1, b"{}")], [(read, 3), (written, 3)]),  # read the latest of both: current
    ]
    outcomes = one_batch(recorder, saves, leader_id)
    assert recorder.batches == [1, len(saves)]
    assert [isinstance(o, IntegrityError) for o in outcomes] == [True, False, True, False]
    assert {r["originator_id"] for r in rows(gated_ledger)} == {read, written, late, leader_id}


def test_a_refused_save_leaves_the_rest_of_its_batch_in_one_transaction(gated_ledger: Ledger) -> None:
    """A save refused by a stored key costs the others of its batch nothing: they commit in the batch's
    one transaction, with consecutive ids."""
    recorder = gated_ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    read, first, second = (uuid.uuid4() for _ in range(3))
    GatedRecorder.gate.set()
    recorder.insert_events([stored(read, 1, b"{}"), stored(read, 2, b"{}")])
    GatedRecorder.gate.clear()
    GatedRecorder.held.clear()
    recorder.batches.clear()
    transactions: list[int] = []
    commit = recorder._try_commit

    def counted(saves: list[_Save]) -> list[_Save]:
        transactions.append(len(saves))
        return commit(saves)

    recorder._try_commit = counted  # type: ignore[method-assign]
    saves = [
        ([stored(first, 1, b"{}")], []),
        ([stored(uuid.uuid4(), 1, b"{}")], [(read, 2)]),  # read version 1: refused
        ([stored(second, 1, b"{}")], []),
    ]
    outcomes = one_batch(recorder, saves, uuid.uuid4())
    assert transactions == [1, len(saves)]
    assert isinstance(outcomes[1], IntegrityError)
    ids = [*outcomes[0], *outcomes[2]]
    assert ids[1] == ids[0] + 1


def test_a_save_with_reads_is_refused_where_they_cannot_be_checked(gated_ledger: Ledger) -> None:
    """When the batch falls back to the library's own path, a save with reads conflicts (its command
    runs again, fresh) instead of being stored unchecked."""
    recorder = gated_ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    GatedRecorder.gate.set()

    def broken(_batch: list[_Save]) -> None:
        raise psycopg.OperationalError("the connection dropped")

    recorder._commit_batch = broken  # type: ignore[method-assign,assignment]
    with pytest.raises(IntegrityError):
        recorder.insert_events([stored(uuid.uuid4(), 1, b"{}")], reads=[(uuid.uuid4(), 1)])
    assert recorder.insert_events([stored(uuid.uuid4(), 1, b"{}")])
