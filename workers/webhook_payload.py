"""What a webhook (or an alert e-mail) says about an event: a thin Standard Webhooks payload — type,
time and ids, so the receiver fetches details with its API key — plus, for alerts, what was seen."""

from __future__ import annotations

import json
from typing import Any

from domain.alert import Alert
from projections.activity import event_type
from projections.base import context_of, stamp


def payload_for(position: int, event: Any) -> str:
    data: dict[str, Any] = {
        "position": position,
        "aggregate_id": str(event.originator_id),
        "event_type": event_type(event),
        "version": event.originator_version,
        "actor": context_of(event).get("actor"),
    }
    if isinstance(event, Alert.Raised):
        data |= {"kind": event.kind, "subject": event.subject, "count": event.count}
        data["window_start"] = stamp(event.window_start)
    body = {"type": event_type(event), "timestamp": stamp(event.timestamp), "data": data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


INTERNAL = ("IndexEntry.", "IdempotencyRecord.", "WebhookEndpoint.ResendRequested")


def is_deliverable(event: Any) -> bool:
    """Index and idempotency records say nothing of their own, and a resend request is not news."""
    return not event_type(event).startswith(INTERNAL)


def mail_for(payload: str) -> tuple[str, str]:
    """The subject and text of an alert e-mail."""
    body = json.loads(payload)
    data = body["data"]
    subject = f"[Keyledger] alert: {data.get('kind', body['type'])}"
    lines = [f"{key}: {value}" for key, value in sorted(data.items())]
    return subject, "\n".join([f"Keyledger raised an alert at {body['timestamp']}.", "", *lines])
