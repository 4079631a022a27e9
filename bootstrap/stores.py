"""Store selection from settings: SQLite files in the data dir by default, PostgreSQL when
``KEYLEDGER_DATABASE_URL`` is a ``postgresql://`` URL; Redis presence when ``KEYLEDGER_REDIS_URL`` is set.
Tables are created only by ``db upgrade`` (the embedded default runs it at start)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import psycopg.conninfo

from adapters.advisory_lock import advisory_lock
from adapters.change_counters import LocalChangeCounters, NoChangeCounters, RedisChangeCounters
from adapters.ledger_db import ledger_db
from adapters.limiter_redis import limiter_client
from adapters.merkle_store import TreeStore
from adapters.personal_keys import PersonalKeys, load_master_key
from adapters.personal_seal import SealingMapper
from adapters.presence import InProcessPresence, RedisPresence
from adapters.read_store import PostgresReadStore, SqliteReadStore
from api.fresh_state import ChangeCounters
from bootstrap.settings import Settings
from domain.credentials import PasswordHasher
from domain.digests import Digests
from domain.heartbeats import Presence
from domain.ledger.service import Ledger
from projections.store import ReadStore
from workers.leader import Leader, no_leader


class SettingsError(ValueError):
    """A setting that cannot be used as given."""


CACHE = {"AGGREGATE_CACHE_MAXSIZE": "20000", "AGGREGATE_CACHE_FASTFORWARD": "y"}
# PostgreSQL: concurrent saves share one transaction, one table lock and one fsync (adapters/group_commit.py).
GROUP_COMMIT = {"APPLICATION_RECORDER_TOPIC": "adapters.group_commit:GroupCommitRecorder"}


def private_file(data_dir: Path, name: str) -> Path:
    """``data_dir/name``, created empty with 0600 if missing (and the data dir with 0700)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / name
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    return path


def ledger_env(settings: Settings, *, create_tables: bool) -> dict[str, str]:
    """The eventsourcing environment for the configured store (never POSTGRES_ENABLE_DB_FUNCTIONS). An
    aggregate cache that fast-forwards (reads only the events after the cached version) keeps an account
    with a long history as cheap to load as a new one."""
    create = "y" if create_tables else "n"
    url = settings.database_url
    if not url:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(private_file(settings.data_dir, "ledger.sqlite3")),
            "SQLITE_LOCK_TIMEOUT": str(settings.db_lock_timeout_s),
            "CREATE_TABLE": create,
            **CACHE,
        }
    parsed = urlparse(url)
    if parsed.scheme not in ("postgresql", "postgres") or not parsed.path.strip("/"):
        raise SettingsError(
            "KEYLEDGER_DATABASE_URL must be postgresql://[user[:password]@]host[:port]/dbname"
        )
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parsed.path.strip("/"),
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": str(settings.db_connect_timeout_s),
        "POSTGRES_LOCK_TIMEOUT": str(settings.db_lock_timeout_s),
        "POSTGRES_POOL_SIZE": str(settings.db_pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.db_max_overflow),
        "CREATE_TABLE": create,
        **CACHE,
        **GROUP_COMMIT,
    }
    schema = parse_qs(parsed.query).get("schema")
    if schema:
        env["POSTGRES_SCHEMA"] = schema[0]
    return env


def build_ledger(
    settings: Settings, digests: Digests, hasher: PasswordHasher, *, create_tables: bool = False
) -> Ledger:
    """The ledger, its personal fields sealed under keys kept beside it (created with the tables; checked
    against the master key otherwise: ``PersonalKeyError`` when missing or not this key's)."""
    env = ledger_env(settings, create_tables=create_tables)
    ledger = Ledger(env, digests=digests, hasher=hasher, mapper_class=SealingMapper)
    try:
        attach_personal_keys(ledger, load_master_key(settings.data_dir), create_tables=create_tables)
    except BaseException:
        ledger.close()
        raise
    return ledger


def attach_personal_keys(ledger: Ledger, master: bytes, *, create_tables: bool) -> None:
    """Gives the ledger's sealing mapper its key table (created first if asked), checked against
    ``master``; the table's connections close with the ledger."""
    keys = PersonalKeys(ledger_db(ledger), master)
    ledger.closers.append(keys.db.close)
    if create_tables:
        keys.create_tables()
    keys.check()
    personal_seal(ledger).attach(keys, lambda ident: ledger.recorder.select_events(ident, lte=1))


def personal_seal(ledger: Ledger) -> SealingMapper:
    """The ledger's sealing mapper (every ledger ``build_ledger`` makes has one)."""
    mapper = ledger.mapper
    if not isinstance(mapper, SealingMapper):
        raise TypeError("this ledger does not seal personal data")
    return mapper


def watch_changes(settings: Settings, ledger: Ledger) -> ChangeCounters:
    """Change counters that every commit of ``ledger`` bumps before its command returns: in Redis (shared
    by every process) when configured; this process's own on the embedded default (SQLite, one process);
    none on PostgreSQL without Redis (other processes' writes would go unseen: read the write model).
    Every process that writes calls this."""
    counters: ChangeCounters
    if settings.redis_url:
        counters = RedisChangeCounters(limiter_client(settings.redis_url))
    elif settings.database_url:
        counters = NoChangeCounters()
    else:
        counters = LocalChangeCounters()
    ledger.change_listeners.append(counters.bump)
    return counters


def postgres_conninfo(settings: Settings) -> str | None:
    """A libpq connection string for the configured PostgreSQL database (None on SQLite)."""
    if not settings.database_url:
        return None
    env = ledger_env(settings, create_tables=False)
    return psycopg.conninfo.make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
    )


def postgres_schema(settings: Settings) -> str:
    return ledger_env(settings, create_tables=False).get("POSTGRES_SCHEMA", "public")


def build_read_store(settings: Settings) -> ReadStore:
    """The read-model database: a second SQLite file in the data dir, or the ledger's PostgreSQL schema."""
    conninfo = postgres_conninfo(settings)
    if conninfo is None:
        return SqliteReadStore(private_file(settings.data_dir, "readmodels.sqlite3"))
    return PostgresReadStore(conninfo, postgres_schema(settings))


def build_tree(ledger: Ledger) -> TreeStore:
    """The Merkle tree beside the ledger's events (same SQLite file or PostgreSQL schema)."""
    return TreeStore(ledger_db(ledger))


def build_presence(settings: Settings) -> Presence:
    """Redis presence shared by every process when configured; otherwise this process's own."""
    if settings.redis_url:
        return RedisPresence(limiter_client(settings.redis_url, timeout_s=0.25))
    return InProcessPresence()


def leader(settings: Settings, worker: str) -> Leader:
    """One active ``worker`` per store: a PostgreSQL advisory lock per schema, none on SQLite."""
    conninfo = postgres_conninfo(settings)
    if conninfo is None:
        return no_leader
    return functools.partial(advisory_lock, conninfo, f"{worker}:{postgres_schema(settings)}")
