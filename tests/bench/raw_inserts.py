"""Baselines: one event-sized row per transaction, straight through the database driver, into a scratch
table shaped like the ``eventsourcing`` events table (no table lock, no reads, no domain code)."""

from __future__ import annotations

import functools
import itertools
import sqlite3
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from tests.bench.harness import Sample, run_threads, timed

# About the size of a stored Account.LoggedIn event's JSON state.
STATE = b'{"timestamp":"...","session_id":"...","kind":"desktop","context":{}}'.ljust(360, b" ")
TOPIC = "bench.raw:Scratch.Inserted"

PG_TABLE = (
    "CREATE TABLE IF NOT EXISTS {}.scratch_events (originator_id uuid NOT NULL, "
    "originator_version bigint NOT NULL, topic text, state bytea, notification_id bigserial, "
    "PRIMARY KEY (originator_id, originator_version))"
)
SQLITE_TABLE = (
    "CREATE TABLE IF NOT EXISTS scratch_events (originator_id TEXT, originator_version INTEGER, "
    "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
)


class PostgresInserts:
    """Autocommit single-row INSERTs (each its own commit) from ``clients`` connections at once."""

    def __init__(self, dsn: str, schema: str) -> None:
        self.dsn, self.schema = dsn, schema
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL(PG_TABLE).format(sql.Identifier(schema)))
        self.insert = sql.SQL(
            "INSERT INTO {}.scratch_events (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)"
        ).format(sql.Identifier(schema))

    def run(self, clients: int, per_client: int) -> Sample:
        connections = [psycopg.connect(self.dsn, autocommit=True) for _ in range(clients)]
        try:
            return run_threads(clients, lambda i, lat: self._client(connections[i], per_client, lat))
        finally:
            for conn in connections:
                conn.close()

    def _client(self, conn: psycopg.Connection[tuple[object, ...]], count: int, lat: list[float]) -> None:
        originator = uuid.uuid4()
        for version in range(1, count + 1):
            timed(lat, functools.partial(conn.execute, self.insert, (originator, version, TOPIC, STATE)))


class SqliteInserts:
    """Single-row ``BEGIN; INSERT; COMMIT`` on a file database, connected as ``eventsourcing.sqlite``
    connects: autocommit mode with explicit ``BEGIN``, WAL journal, the default ``synchronous``."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(SQLITE_TABLE)
        self.versions = itertools.count(1)
        self.originator = uuid.uuid4().hex

    def run(self, count: int) -> Sample:
        return run_threads(1, lambda _, lat: self._write(count, lat))

    def _write(self, count: int, lat: list[float]) -> None:
        for _ in range(count):
            timed(lat, self._insert_one)

    def _insert_one(self) -> None:
        cursor = self.conn.cursor()
        cursor.execute("BEGIN")
        cursor.execute(
            "INSERT INTO scratch_events VALUES (?, ?, ?, ?)",
            (self.originator, next(self.versions), TOPIC, STATE),
        )
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def sqlite_pragmas(path: Path) -> dict[str, object]:
    """``journal_mode`` and ``synchronous`` as a fresh connection to ``path`` sees them."""
    conn = sqlite3.connect(path)
    try:
        return {
            "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
            "synchronous": conn.execute("PRAGMA synchronous").fetchone()[0],
        }
    finally:
        conn.close()


def postgres_settings(dsn: str) -> dict[str, str]:
    """The server settings that decide what a commit costs."""
    names = ("server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay")
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = {n: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(n))).fetchone() for n in names}
    return {name: str(row[0]) if row else "?" for name, row in rows.items()}
