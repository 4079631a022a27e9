"""The webhook worker's own tables (derived state, rebuilt from the event stream like a read model): the
endpoints it fans out to as of its tracked position, and one delivery row per event and endpoint with
its attempts, next retry and last outcome (the delivery log). The API reads the log and nothing else."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain import personal
from domain.webhook import WebhookEndpoint, matches
from projections.pages import Order, Page, Query, fetch_page
from projections.store import Tx

ENDPOINTS = "wh_endpoints"
DELIVERIES = "wh_deliveries"
EMAIL = "email"  # the pseudo-endpoint of alert e-mail
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {ENDPOINTS} (
        id TEXT PRIMARY KEY, event_types TEXT NOT NULL, active INTEGER NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {DELIVERIES} (
        endpoint_id TEXT NOT NULL, position BIGINT NOT NULL, message_id TEXT NOT NULL,
        event_type TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
        created_at TEXT NOT NULL, first_attempt_at TEXT, next_attempt_at TEXT NOT NULL,
        last_status INTEGER, last_error TEXT, delivered_at TEXT, PRIMARY KEY (endpoint_id, position))""",
    f"CREATE INDEX IF NOT EXISTS {DELIVERIES}_due ON {DELIVERIES} (state, next_attempt_at)",
)
LOG_COLUMNS = (
    "endpoint_id",
    "position",
    "message_id",
    "event_type",
    "state",
    "attempts",
    "created_at",
    "next_attempt_at",
    "last_status",
    "last_error",
    "delivered_at",
)


@dataclass(frozen=True)
class Delivery:
    endpoint_id: str
    position: int
    message_id: str
    payload: str
    attempts: int
    first_attempt_at: str | None


def create_tables(tx: Tx) -> None:
    for statement in DDL:
        tx.execute(statement)


def set_endpoint(tx: Tx, endpoint_id: str, types: list[str] | None, active: bool) -> None:
    """Adds or updates an endpoint (``types`` None: keep them)."""
    tx.execute(
        f"INSERT INTO {ENDPOINTS} (id, event_types, active) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        f" event_types = CASE WHEN ? = 1 THEN excluded.event_types ELSE {ENDPOINTS}.event_types END,"
        " active = excluded.active",
        [endpoint_id, " ".join(types or []), int(active), int(types is not None)],
    )


def apply_endpoint_event(tx: Tx, e: Any, now: str) -> None:
    """Keeps ``wh_endpoints`` as of the event stream; a resend request puts its delivery back in line."""
    ident = str(e.originator_id)
    if isinstance(e, WebhookEndpoint.Registered | WebhookEndpoint.Updated):
        active = tx.one(f"SELECT active FROM {ENDPOINTS} WHERE id = ?", [ident])
        set_endpoint(tx, ident, e.event_types, bool(active[0]) if active else True)
    elif isinstance(e, WebhookEndpoint.Disabled | WebhookEndpoint.Removed):
        set_endpoint(tx, ident, None, False)
    elif isinstance(e, WebhookEndpoint.Enabled):  # waiting deliveries start a fresh retry schedule
        set_endpoint(tx, ident, None, True)
        tx.execute(
            f"UPDATE {DELIVERIES} SET first_attempt_at = NULL, next_attempt_at = ?"
            " WHERE endpoint_id = ? AND state = 'pending'",
            [now, ident],
        )
    elif isinstance(e, WebhookEndpoint.ResendRequested):
        tx.execute(
            f"UPDATE {DELIVERIES} SET state = 'pending', next_attempt_at = ?, first_attempt_at = NULL,"
            " attempts = 0 WHERE endpoint_id = ? AND position = ?",
            [now, ident, e.position],
        )


def subscribers(tx: Tx, event_type: str) -> list[str]:
    rows = tx.all(f"SELECT id, event_types FROM {ENDPOINTS} WHERE active = 1 ORDER BY id")
    return [str(r[0]) for r in rows if matches(str(r[1]).split(), event_type)]


def enqueue(
    tx: Tx, endpoint_id: str, position: int, message_id: str, event_type: str, payload: str, now: str
) -> None:
    tx.execute(
        f"INSERT INTO {DELIVERIES} (endpoint_id, position, message_id, event_type, payload, state, attempts,"
        " created_at, next_attempt_at) VALUES (?,?,?,?,?, 'pending', 0, ?, ?)"
        " ON CONFLICT (endpoint_id, position) DO NOTHING",
        [endpoint_id, position, message_id, event_type, payload, now, now],
    )


def due(tx: Tx, now: str, limit: int) -> list[Delivery]:
    """Pending deliveries whose time has come, to endpoints still active, oldest first."""
    rows = tx.all(
        f"SELECT d.endpoint_id, d.position, d.message_id, d.payload, d.attempts, d.first_attempt_at"
        f" FROM {DELIVERIES} d JOIN {ENDPOINTS} e ON e.id = d.endpoint_id"
        " WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND e.active = 1"
        " ORDER BY d.next_attempt_at, d.position LIMIT ?",
        [now, limit],
    )
    return [Delivery(str(r[0]), int(r[1]), str(r[2]), str(r[3]), int(r[4]), r[5]) for r in rows]


def record(
    tx: Tx, d: Delivery, state: str, status: int | None, error: str | None, now: str, next_at: str
) -> None:
    """One attempt's outcome: ``delivered``, ``pending`` (retry at ``next_at``) or ``failed``."""
    tx.execute(
        f"UPDATE {DELIVERIES} SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?,"
        " first_attempt_at = COALESCE(first_attempt_at, ?), next_attempt_at = ?,"
        " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END"
        " WHERE endpoint_id = ? AND position = ?",
        [state, status, error, now, next_at, state, now, d.endpoint_id, d.position],
    )


def log_of(tx: Tx, endpoint_id: str, order: Order) -> Page:
    query = Query(DELIVERIES, LOG_COLUMNS, {"position": -1}, key="position")
    query.filter("endpoint_id = ?", endpoint_id)
    return fetch_page(tx, query, order)


def redact_alert_subjects(tx: Tx, before: str) -> int:
    """Deliveries of alerts created before ``before`` (a stamp) keep their subject only if it is an account
    id: an address in them was sealed under a day key the retention sweep has destroyed. Returns how many
    payloads changed."""
    rows = tx.all(
        f"SELECT endpoint_id, position, payload FROM {DELIVERIES} WHERE event_type = ? AND created_at < ?",
        ["Alert.Raised", before],
    )
    changed = 0
    for endpoint_id, position, payload in rows:
        body = json.loads(payload)
        if personal.account_of(body["data"].get("subject")) is None:
            body["data"]["subject"] = personal.ERASED
            redacted = json.dumps(body, separators=(",", ":"), sort_keys=True)
            tx.execute(
                f"UPDATE {DELIVERIES} SET payload = ? WHERE endpoint_id = ? AND position = ?",
                [redacted, endpoint_id, position],
            )
            changed += 1
    return changed
