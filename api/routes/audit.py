"""Audit queries over the event stream itself: the audit index finds events; the store provides them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import AppServices, CurrentAdmin
from api.event_data import stored_event
from api.problems import responses
from projections import audit_index
from projections.base import stamp

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditPage(BaseModel):
    events: list[dict[str, Any]]
    next_cursor: int | None


@router.get("/events", response_model=AuditPage, responses=responses(401, 403, 422, 503))
def events(
    admin: CurrentAdmin,
    svc: AppServices,
    aggregate_id: Annotated[str | None, Query(max_length=64)] = None,
    event_type: Annotated[str | None, Query(max_length=80, description="e.g. Account.Banned")] = None,
    actor: Annotated[str | None, Query(max_length=80)] = None,
    ip: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[int | None, Query(ge=0, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    position: Annotated[
        int | None, Query(ge=0, description="wait until the read models include this")
    ] = None,
) -> AuditPage:
    """Stored events (oldest first) with their audit context, filtered by aggregate, type, actor, IP, time."""
    given = {
        "aggregate_id": aggregate_id,
        "event_type": event_type,
        "actor": actor,
        "client_ip": ip,
        "since": stamp(since) if since else None,
        "until": stamp(until) if until else None,
    }
    filters = {k: v for k, v in given.items() if v is not None}
    entries = svc.reads.query(position, lambda tx: audit_index.search(tx, filters, after=cursor, limit=limit))
    found = [stored_event(svc.ledger, int(entry["position"])) for entry in entries]
    decoded = [event for event in found if event is not None]
    next_cursor = int(entries[-1]["position"]) if len(entries) == limit else None
    return AuditPage(events=decoded, next_cursor=next_cursor)
