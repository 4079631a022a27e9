"""Audit queries over the event stream itself: the audit index finds events; the store provides them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from keyledger_verifier.state import aggregate_state
from pydantic import BaseModel

from api.deps import AppServices
from api.event_data import stored_event
from api.machine_auth import CurrentAdmin
from api.problems import ApiError, responses
from api.schemas import MAX_POSITION, NO_NUL
from domain.errors import NotFound
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
    aggregate_id: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    event_type: Annotated[
        str | None, Query(max_length=80, pattern=NO_NUL, description="e.g. Account.Banned")
    ] = None,
    actor: Annotated[str | None, Query(max_length=80, pattern=NO_NUL)] = None,
    ip: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    position: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="wait until the read models include this")
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


class HistoryEvent(BaseModel):
    leaf_index: int | None
    event: dict[str, Any]


class AggregateHistory(BaseModel):
    aggregate_id: str
    events: list[HistoryEvent]


@router.get(
    "/aggregates/{aggregate_id}/history", response_model=AggregateHistory, responses=responses(401, 403, 404)
)
def history(admin: CurrentAdmin, svc: AppServices, aggregate_id: UUID) -> AggregateHistory:
    """Every event of one aggregate, oldest first, with its audit context and its leaf index in the
    Merkle tree (null until the sealer has sealed it)."""
    entries = svc.ledger_log.history(aggregate_id)
    if not entries:
        raise NotFound("aggregate", aggregate_id)
    return AggregateHistory(
        aggregate_id=str(aggregate_id),
        events=[HistoryEvent(leaf_index=e.leaf_index, event=e.event) for e in entries],
    )


@router.get("/aggregates/{aggregate_id}/state", responses=responses(401, 403, 404, 422))
def state_at(
    admin: CurrentAdmin,
    svc: AppServices,
    aggregate_id: UUID,
    at: Annotated[datetime, Query(description="RFC 3339 time with an offset")],
) -> dict[str, Any]:
    """The aggregate as it was at ``at``: replayed up to its last event at or before that time."""
    if at.tzinfo is None:
        raise ApiError(422, "invalid_request", "'at' needs a time zone offset (RFC 3339)")
    everything = svc.ledger_log.history(aggregate_id)
    if not everything:
        raise NotFound("aggregate", aggregate_id)
    entries = [e for e in everything if e.at <= at]
    if not entries:
        raise ApiError(404, "not_found", f"aggregate {aggregate_id} did not exist yet at {at.isoformat()}")
    version = int(entries[-1].event["version"])
    return aggregate_state(svc.ledger.repository.get(aggregate_id, version=version))
