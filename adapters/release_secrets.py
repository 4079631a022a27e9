"""What a release file's download needs beyond its blob, kept beside the events (the ledger's SQLite
file or PostgreSQL schema) but outside them: each file's data key wrapped by the master key
(``release_file_keys``), and each granted download's grant bytes (``download_grants``).

Why not in the events: the ledger is append-only and copied whole into exports, while a wrapped key must
be rewritten when the master key rotates and should be destroyable (crypto-shredding a file); and a grant
is only useful for the Range requests of its own download (its ``Downloaded`` event is the record)."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.ledger_db import LedgerDb

KEYS, GRANTS = "release_file_keys", "download_grants"


def secrets_ddl(dialect: str) -> list[str]:
    blob = "BYTEA" if dialect == "postgres" else "BLOB"
    return [
        f"CREATE TABLE IF NOT EXISTS {KEYS} (file_id TEXT PRIMARY KEY, record {blob} NOT NULL, "
        "stored_at TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {GRANTS} (grant_id TEXT PRIMARY KEY, grant_bytes {blob} NOT NULL, "
        "stored_at TEXT NOT NULL)",
    ]


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ReleaseSecrets:
    def __init__(self, db: LedgerDb) -> None:
        self.db = db

    def create_tables(self) -> None:
        with self.db.write() as tx:
            for statement in secrets_ddl(self.db.dialect):
                tx.execute(statement)

    def put_key(self, file_id: str, record: bytes) -> None:
        """Stores (or, on rotation, replaces) a file's wrapped key record."""
        with self.db.write() as tx:
            tx.execute(
                f"INSERT INTO {KEYS} (file_id, record, stored_at) VALUES (?, ?, ?) ON CONFLICT (file_id) "
                "DO UPDATE SET record = excluded.record, stored_at = excluded.stored_at",
                [file_id, record, _now()],
            )

    def key(self, file_id: str) -> bytes | None:
        with self.db.read() as tx:
            row = tx.one(f"SELECT record FROM {KEYS} WHERE file_id = ?", [file_id])
        return None if row is None else bytes(row[0])

    def key_ids(self) -> list[str]:
        with self.db.read() as tx:
            return [str(row[0]) for row in tx.all(f"SELECT file_id FROM {KEYS} ORDER BY file_id")]

    def delete_key(self, file_id: str) -> None:
        with self.db.write() as tx:
            tx.execute(f"DELETE FROM {KEYS} WHERE file_id = ?", [file_id])

    def put_grant(self, grant_id: str, grant: bytes) -> None:
        with self.db.write() as tx:
            tx.execute(
                f"INSERT INTO {GRANTS} (grant_id, grant_bytes, stored_at) VALUES (?, ?, ?)",
                [grant_id, grant, _now()],
            )

    def grant(self, grant_id: str) -> bytes | None:
        with self.db.read() as tx:
            row = tx.one(f"SELECT grant_bytes FROM {GRANTS} WHERE grant_id = ?", [grant_id])
        return None if row is None else bytes(row[0])

    def delete_grant(self, grant_id: str) -> None:
        with self.db.write() as tx:
            tx.execute(f"DELETE FROM {GRANTS} WHERE grant_id = ?", [grant_id])

    def delete_grants_before(self, stored_before: datetime) -> int:
        """Removes grants stored before ``stored_before`` (expired ones: their downloads are over)."""
        with self.db.write() as tx:
            row = tx.one(f"SELECT COUNT(*) FROM {GRANTS} WHERE stored_at < ?", [stored_before.isoformat()])
            tx.execute(f"DELETE FROM {GRANTS} WHERE stored_at < ?", [stored_before.isoformat()])
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.db.close()
