"""Builds the ledger from settings: SQLite files in the data dir by default, PostgreSQL when
``KEYLEDGER_DATABASE_URL`` is a ``postgresql://`` URL. Tables are created only by ``db upgrade``."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse

import psycopg.conninfo

from api.keyfiles import load_index_key
from api.passwords import Argon2Hasher, PasswordSeal
from api.rate_limits_redis import limiter_client
from api.settings import Settings
from domain.credentials import PasswordHasher
from domain.digests import Digests
from domain.ledger.service import Ledger
from projections.store import PostgresReadStore, ReadStore, SqliteReadStore
from workers.presence import InProcessPresence, Presence, RedisPresence


class SettingsError(ValueError):
    """A setting that cannot be used as given."""


CACHE = {"AGGREGATE_CACHE_MAXSIZE": "20000", "AGGREGATE_CACHE_FASTFORWARD": "y"}


def ledger_env(settings: Settings, *, create_tables: bool) -> dict[str, str]:
    """The eventsourcing environment for the configured store (never POSTGRES_ENABLE_DB_FUNCTIONS). An
    aggregate cache that fast-forwards (reads only the events after the cached version) keeps an account
    with a long history as cheap to load as a new one."""
    create = "y" if create_tables else "n"
    url = settings.database_url
    if not url:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        database = settings.data_dir / "ledger.sqlite3"
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(database),
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
    }
    schema = parse_qs(parsed.query).get("schema")
    if schema:
        env["POSTGRES_SCHEMA"] = schema[0]
    return env


def build_ledger(
    settings: Settings, *, create_tables: bool = False, hasher: PasswordHasher | None = None
) -> Ledger:
    """The ledger for these settings, keys loaded from the data dir."""
    digests = Digests(load_index_key(settings.data_dir))
    return Ledger(
        ledger_env(settings, create_tables=create_tables),
        digests=digests,
        hasher=hasher or Argon2Hasher.from_settings(settings, PasswordSeal(digests.key_for("password-seal"))),
    )


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


def build_read_store(settings: Settings) -> ReadStore:
    """The read-model database: a second SQLite file in the data dir, or the ledger's PostgreSQL schema."""
    conninfo = postgres_conninfo(settings)
    if conninfo is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = settings.data_dir / "readmodels.sqlite3"
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return SqliteReadStore(path)
    schema = ledger_env(settings, create_tables=False).get("POSTGRES_SCHEMA", "public")
    return PostgresReadStore(conninfo, schema)


def build_presence(settings: Settings) -> Presence:
    """Redis presence shared by every process when configured; otherwise this process's own."""
    if settings.redis_url:
        return RedisPresence(limiter_client(settings.redis_url, timeout_s=0.25))
    return InProcessPresence()
