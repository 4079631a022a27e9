"""The ledger's notification log as the projections' ``EventSource``: stored events after a position, one
keyset page straight from the event table (PostgreSQL, SQLite; another recorder: its own
``select_notifications``), decoded by ``FastDecoder`` (``orjson``; the mapper where that cannot be exact)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg import sql
from psycopg.rows import tuple_row

from adapters.event_decoding import FastDecoder
from domain.ledger.service import Ledger

COLUMNS = "originator_id, originator_version, topic, state"
Rows = Callable[[int, int], Sequence[tuple[Any, ...]]]


class LedgerEvents:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._decoder = FastDecoder(ledger.mapper)
        self._rows = keyset_rows(ledger.recorder)

    def read(self, after: int, limit: int) -> Sequence[tuple[int, Any]]:
        decode = self._decoder.decode_fields
        return [
            (position, decode(topic, originator_id, version, state))
            for position, originator_id, version, topic, state in self._rows(after, limit)
        ]

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0


def keyset_rows(recorder: Any) -> Rows:
    """``rows(after, limit)``: (position, originator id, version, topic, state bytes) in position order."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return _postgres_rows(recorder)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _sqlite_rows(recorder)

    def library_rows(after: int, limit: int) -> Sequence[tuple[Any, ...]]:
        found = recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)
        return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in found]

    return library_rows


def _postgres_rows(recorder: PostgresApplicationRecorder) -> Rows:
    datastore = recorder.datastore
    statement = sql.SQL(
        f"SELECT notification_id, {COLUMNS} FROM {{}}.{{}} WHERE notification_id > %s"
        " ORDER BY notification_id LIMIT %s"
    ).format(sql.Identifier(datastore.schema), sql.Identifier(recorder.events_table_name))

    def rows(after: int, limit: int) -> Sequence[tuple[Any, ...]]:
        with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement, (after, limit), prepare=True)
            return [(p, o, v, t, bytes(s)) for p, o, v, t, s in cursor.fetchall()]

    return rows


def _sqlite_rows(recorder: SQLiteApplicationRecorder) -> Rows:
    statement = (
        f"SELECT rowid, {COLUMNS} FROM {recorder.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?"
    )
    convert = recorder.convert_originator_id

    def rows(after: int, limit: int) -> Sequence[tuple[Any, ...]]:
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (after, limit))
            return [(r[0], convert(r[1]), r[2], r[3], r[4]) for r in cursor.fetchall()]

    return rows
