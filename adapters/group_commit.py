"""Group commit for the PostgreSQL event store: the saves of concurrent commands share one transaction.

The library's recorder takes ``LOCK TABLE ... IN EXCLUSIVE MODE`` for every save (so notification ids are
issued in commit order and no reader passes a gap that is filled later); one save at a time, each with its own
fsync, caps the log at about 470 commands/s on this hardware whatever the number of writers. Here a save joins
a queue; the first thread to find no batch in flight leads: it takes every queued save, leaves out those that
conflict with an earlier save of the batch, and sends BEGIN, the table lock, one statement and COMMIT as one
simple query (one round trip and one driver call, where a pipeline cost a driver call per statement). That
statement names the saves a stored key refuses (rare: another process wrote first) and inserts the events of
all the others, in batch order; a save that conflicted only with a refused one goes again in a second
transaction. Saves arriving meanwhile queue up for the next batch, which the oldest of them
leads: a lone writer waits for nobody, sixteen writers share one lock and one fsync.

Each save keeps its own optimistic-concurrency check. Under the table lock no other writer can insert, so a
save conflicts exactly when one of its (aggregate, version) keys is already stored or is claimed by an earlier
save of the same batch; such a save alone gets the ``IntegrityError`` its command retries on, and the others
commit exactly once. A save may also name keys that must *not* be stored (``reads``: the next versions of
aggregates its command took from the cache without asking for newer events); it conflicts in the same way when
one of them is stored or saved earlier in the batch, which makes the command's decision as good as one taken
on fresh state. Every waiter is answered only after COMMIT has returned, so an acknowledged command is durable
(COMMIT's outcome is read before anyone is answered). Should the batch's transaction fail for any other
reason, each of its saves is committed alone through the library's own path (with its retries), so nothing is
lost or applied twice (a save with ``reads`` cannot be checked there, so it conflicts and its command runs
again on fresh state). Notification ids of one transaction are consecutive: conflicting saves are left out
before the insert, never rolled back after it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

log = logging.getLogger("keyledger.group_commit")
MAX_BATCH = 256
Key = tuple[Any, int]


class _Save:
    """One command's events waiting in the queue, and (once its batch is done) its outcome."""

    __slots__ = ("absent", "error", "events", "finished", "ids", "leads", "wake")

    def __init__(self, events: Sequence[StoredEvent], absent: Sequence[Key] = ()) -> None:
        self.events = events
        self.absent = absent  # keys that must not be stored: newer versions of what the command read
        self.wake = threading.Event()  # set once: answered, or handed the lead
        self.leads = self.finished = False
        self.ids: Sequence[int] | None = None
        self.error: BaseException | None = None

    def claims(self) -> list[Key]:
        return [(e.originator_id, e.originator_version) for e in self.events]

    def answer(self, ids: Sequence[int] | None = None, error: BaseException | None = None) -> None:
        self.ids, self.error, self.finished = ids, error, True
        self.wake.set()


class GroupCommitRecorder(PostgresApplicationRecorder):
    """``PostgresApplicationRecorder`` whose ``insert_events`` commits concurrent saves together (chosen
    with ``APPLICATION_RECORDER_TOPIC``; tracking records and database functions take the library's path)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._lock = threading.Lock()
        self._queue: list[_Save] = []
        self._leading = False
        self.batches: list[int] = []  # sizes of recent batches (observability and tests), bounded below
        names = {
            "schema": Identifier(self.datastore.schema),
            "table": Identifier(self.events_table_name),
            "id_type": Identifier(self.datastore.originator_id_type),
        }
        # One statement finds the saves a stored key refuses and inserts the events of all the others, in
        # batch order. Its eight arrays are written into the text of the one query that also holds BEGIN,
        # the lock, NOTIFY and COMMIT (``_ids``, ``_integers``, ``_topics``), the states as hex.
        self.batch_statement = SQL(
            "WITH stale AS ("
            " SELECT DISTINCT k.save"
            " FROM unnest(%s::{id_type}[], %s::bigint[], %s::int[]) AS k(id, version, save)"
            " JOIN {schema}.{table} AS e ON e.originator_id = k.id AND e.originator_version = k.version"
            "), inserted AS ("
            " INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)"
            " SELECT n.id, n.version, n.topic, decode(n.state, 'hex')"
            " FROM unnest(%s::{id_type}[], %s::bigint[], %s::text[], %s::text[], %s::int[])"
            " WITH ORDINALITY AS n(id, version, topic, state, save, at)"
            " WHERE n.save NOT IN (SELECT save FROM stale) ORDER BY n.at"
            " RETURNING notification_id"
            ") SELECT false, save FROM stale UNION ALL SELECT true, notification_id FROM inserted"
        )
        self._names = names
        # BEGIN, the lock and NOTIFY (and how many statements that is), and the batch statement's text
        # around its eight arrays: rendered once, on the first batch's connection.
        self._frame: tuple[bytes, int, list[str]] | None = None
        self._selects: dict[tuple[bool, bool, bool, bool], bytes] = {}

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: Any,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's ``select_events`` (same rows, same retries) with its statement composed once per
        shape and rows read as tuples: an aggregate read on every command spent a quarter of its CPU
        composing and converting the query and building dictionaries."""
        shape = (gt is not None, lte is not None, desc, limit is not None)
        params = [originator_id, *(value for value in (gt, lte, limit) if value is not None)]
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            statement = self._selects.get(shape) or self._select_statement(shape, conn)
            curs.execute(statement, params, prepare=True)
            return [
                StoredEvent(originator_id=r[0], originator_version=r[1], topic=r[2], state=bytes(r[3]))
                for r in curs.fetchall()
            ]

    def _select_statement(self, shape: tuple[bool, bool, bool, bool], conn: Connection[Any]) -> bytes:
        gt, lte, desc, limit = shape
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        if gt:
            statement += SQL(" AND originator_version > %s")
        if lte:
            statement += SQL(" AND originator_version <= %s")
        statement += SQL(" ORDER BY originator_version DESC" if desc else " ORDER BY originator_version ASC")
        if limit:
            statement += SQL(" LIMIT %s")
        rendered = self._selects[shape] = statement.as_bytes(conn)
        return rendered

    @property
    def checks_reads(self) -> bool:
        """Whether ``insert_events`` takes ``reads``: (aggregate, version) keys that must not be stored, so
        that a command may decide on cached aggregates and have them checked as it commits."""
        return not self.datastore.enable_db_functions

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        reads: Sequence[Key] = kwargs.pop("reads", None) or ()
        if kwargs.get("tracking") is not None or self.datastore.enable_db_functions:
            if reads:
                raise ValueError("reads are checked only by a group-committed save")
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        if not stored_events:
            return None
        save = _Save(stored_events, reads)
        with self._lock:
            self._queue.append(save)
            save.leads = not self._leading
            self._leading = True
        while not save.finished:
            if save.leads:
                self._lead()  # its own save is the oldest queued, so it is in the batch it leads
            else:
                save.wake.wait()
        if save.error is not None:
            raise save.error
        return save.ids

    def _lead(self) -> None:
        """Commits the oldest queued saves as one batch, then hands the lead to the next waiter."""
        with self._lock:
            batch = self._queue[:MAX_BATCH]
            del self._queue[:MAX_BATCH]
        try:
            self._commit_batch(batch)
        except Exception:
            log.warning("a group commit of %d saves failed; committing each alone", len(batch), exc_info=True)
            self._commit_alone(batch)
        finally:
            with self._lock:
                self.batches = [*self.batches[-999:], len(batch)]
                if self._queue:
                    self._queue[0].leads = True
                    self._queue[0].wake.set()
                else:
                    self._leading = False

    def _commit_batch(self, batch: list[_Save]) -> None:
        """Commits the saves of ``batch`` that conflict with nothing and answers each once its transaction
        has committed (the conflicting ones with ``IntegrityError``). One transaction, unless a stored key
        refused a save that a later save of the batch conflicted with: that later save goes again."""
        refused: list[_Save] = []  # by a key already stored
        pending = batch
        while True:
            accepted, conflicted = _within_batch(pending)
            stale = self._try_commit(accepted) if accepted else []
            refused += stale
            if not stale or not conflicted:
                break
            pending = conflicted  # they may have conflicted only with a refused save
        for save in refused + conflicted:
            save.answer(error=IntegrityError("a concurrent save stored this aggregate version first"))

    def _try_commit(self, saves: list[_Save]) -> list[_Save]:
        """One transaction, one query: BEGIN, the table lock, NOTIFY, the batch statement, COMMIT. Every
        save no stored key refuses is inserted and, once committed, answered; the refused are returned."""
        head, head_statements, pieces = self._frame or self._render()
        keys = [(key, i) for i, save in enumerate(saves) for key in (*save.claims(), *save.absent)]
        events = [(e, i) for i, save in enumerate(saves) for e in save.events]
        with self.datastore.get_connection() as conn:
            literals = [  # the batch statement's arrays, written into its text; states as hex
                _ids([k[0][0] for k in keys], conn),
                _integers(k[0][1] for k in keys),
                _integers(k[1] for k in keys),
                _ids([e.originator_id for e, _ in events], conn),
                _integers(e.originator_version for e, _ in events),
                _topics([e.topic for e, _ in events], conn),
                _quoted(e.state.hex() for e, _ in events),
                _integers(i for _, i in events),
            ]
            statement = "".join(p + a for p, a in zip(pieces, [*literals, ""], strict=True))
            try:
                with conn.cursor(row_factory=tuple_row) as curs:
                    # Sent as one simple query (no parameters), which returns once every result is in,
                    # COMMIT's last: an error anywhere raises here.
                    curs.execute(head + statement.encode() + b"; COMMIT")
                    for _ in range(head_statements):  # the results of BEGIN, the lock and NOTIFY
                        curs.nextset()
                    rows = curs.fetchall()
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.rollback()
                raise
        # Committed: only now is anyone answered. Ids are issued in insert order (batch order).
        refused = {row[1] for row in rows if not row[0]}
        stored = [save for i, save in enumerate(saves) if i not in refused]
        ids = sorted(row[1] for row in rows if row[0])
        if len(ids) == sum(len(save.events) for save in stored):
            at = 0
            for save in stored:
                save.answer(ids[at : at + len(save.events)])
                at += len(save.events)
        else:  # never seen; not an answer to guess at
            log.error("a group commit stored %d events for saves holding others", len(ids))
            for save in stored:
                save.answer(error=OperationalError("the batch committed, but its ids could not be matched"))
        return [saves[i] for i in sorted(refused)]

    def _render(self) -> tuple[bytes, int, list[str]]:
        """The query's text before the batch statement (BEGIN, the library's lock statements, NOTIFY), how
        many statements that is, and the batch statement's text around its arrays (COMMIT follows it)."""
        pieces = self.batch_statement.as_string().split("%s")
        with self.datastore.get_connection() as conn:
            head = [
                SQL("BEGIN"),
                *self.lock_table_statements,
                SQL("NOTIFY {0}").format(Identifier(self.channel_name)),
            ]
            self._frame = (
                b"".join(rendered(s, conn) + b"; " for s in head),
                len(head),
                [rendered(SQL(piece).format(**self._names), conn).decode() for piece in pieces],
            )
        return self._frame

    def _commit_alone(self, batch: list[_Save]) -> None:
        for save in batch:
            if save.finished:
                continue
            if save.absent:  # the library's path cannot check reads: the command runs again, fresh
                save.answer(error=IntegrityError("the save's reads could not be checked; run it again"))
                continue
            try:
                save.answer(super().insert_events(save.events))
            except Exception as error:
                save.answer(error=error)


def _within_batch(batch: list[_Save]) -> tuple[list[_Save], list[_Save]]:
    """The saves that conflict with no earlier save of the batch (in batch order), and those that do: a
    key claimed twice, or a read of a version an earlier save writes."""
    claimed: set[Key] = set()
    accepted: list[_Save] = []
    conflicted: list[_Save] = []
    for save in batch:
        mine = save.claims()
        if claimed.isdisjoint(save.absent) and claimed.isdisjoint(mine) and len(set(mine)) == len(mine):
            claimed.update(mine)
            accepted.append(save)
        else:
            conflicted.append(save)
    return accepted, conflicted


# The driver's array quoting cost sixteen writers 25 us an event (a profile): ids, integers, hex and plain
# topics are written into the query directly, as none can hold a quote, a backslash or a separator.
_PLAIN_TOPIC = re.compile(r"[A-Za-z0-9_.:]+")


def _ids(values: list[Any], conn: Connection[Any]) -> str:
    """An array of ids as an SQL literal: UUIDs written directly (their text holds only hex digits and
    dashes), any other id quoted by the driver."""
    if all(type(v) is UUID for v in values):
        return "'{" + ",".join(map(str, values)) + "}'"
    return Literal(values).as_string(conn)


def _integers(values: Iterable[int]) -> str:
    return "'{" + ",".join(str(int(v)) for v in values) + "}'"


def _topics(values: list[str], conn: Connection[Any]) -> str:
    """Topics written directly when they are plain (``module.path:Class.Name``), else quoted by the
    driver."""
    if all(_PLAIN_TOPIC.fullmatch(v) for v in values):
        return _quoted(values)
    return Literal(values).as_string(conn)


def _quoted(values: Iterable[str]) -> str:
    """Elements that hold no quote, backslash or comma, each quoted (an empty element must be "")."""
    return "'{" + ",".join(f'"{v}"' for v in values) + "}'"


def rendered(statement: Any, conn: Connection[Any]) -> bytes:
    """A statement as the bytes sent to the server (the library keeps some as ``str``, most composed)."""
    if isinstance(statement, bytes):
        return statement
    if isinstance(statement, str):
        return statement.encode()
    composed: SQL | Composed = statement
    return composed.as_bytes(conn)
