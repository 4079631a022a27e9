"""Stored events as JSON for auditors: every field with its audit context; password hashes redacted."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.ledger.service import Ledger

REDACTED_FIELDS = {"password_hash"}


def plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def event_json(event: Any, position: int) -> dict[str, Any]:
    topic = get_topic(type(event))
    fields = {
        k: ("(redacted)" if k in REDACTED_FIELDS else plain(v))
        for k, v in vars(event).items()
        if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")
    }
    return {
        "position": position,
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
        "topic": topic,
        "event_type": topic.rsplit(":", 1)[-1],
        "at": event.timestamp.isoformat(),
        "context": fields.pop("context", None),
        "data": fields,
    }


def stored_event(ledger: Ledger, position: int) -> dict[str, Any] | None:
    """The event stored at ``position``, decoded, or None."""
    found = ledger.recorder.select_notifications(start=position, limit=1)
    if not found or found[0].id != position:
        return None
    return event_json(ledger.mapper.to_domain_event(found[0]), position)
