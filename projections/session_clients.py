"""Read model: the browser and system each session was opened from (parsed from the User-Agent of its
Session.Opened event's context), for the admin session list."""

from __future__ import annotations

from domain.session import Session
from projections.base import Projection, context_of
from projections.store import Tx
from projections.user_agents import parse

TABLE = "rm_session_clients"
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, browser TEXT NOT NULL, system TEXT NOT NULL)""",
)


def opened(tx: Tx, e: Session.Opened, _: int) -> None:
    client = parse(context_of(e).get("user_agent"))
    tx.insert(TABLE, {"id": str(e.originator_id), "browser": client.browser, "system": client.system})


PROJECTION = Projection(name="session_clients", ddl=DDL, tables=(TABLE,), handlers={Session.Opened: opened})


def of_sessions(tx: Tx, ids: list[str]) -> dict[str, tuple[str, str]]:
    """session id → (browser, system) for those of ``ids`` that were recorded."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = tx.all(f"SELECT id, browser, system FROM {TABLE} WHERE id IN ({marks})", ids)
    return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}
