"""Append-only guard rails: database triggers that reject UPDATE, DELETE (and on PostgreSQL TRUNCATE)
of the event table and the Merkle tree tables. Installed by ``keyledger db upgrade``."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.ledger_db import LedgerDb

FUNCTION = "keyledger_reject_change"


def postgres_ddl(tables: Sequence[str]) -> list[str]:
    statements = [
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'keyledger: the ledger is append-only (% on % refused)', TG_OP, TG_TABLE_NAME; "
        "END $$"
    ]
    for table in tables:
        statements += [
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
            f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
        ]
    return statements


def sqlite_ddl(tables: Sequence[str]) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'keyledger: the ledger is append-only ({action} refused)'); END"
        for table in tables
        for action in ("UPDATE", "DELETE")
    ]


def install(db: LedgerDb, tables: Sequence[str]) -> None:
    """Creates (or replaces) the triggers on ``tables``."""
    statements = postgres_ddl(tables) if db.dialect == "postgres" else sqlite_ddl(tables)
    with db.write() as tx:
        for statement in statements:
            tx.execute(statement)
