"""The dashboard's figures, activity feed and live stream (server-sent events)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import AppServices
from api.machine_auth import CurrentAdmin
from api.problems import responses
from api.schemas import MAX_POSITION
from api.services import Services
from domain.heartbeats import ONLINE_WINDOW
from projections import activity, dashboard

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

STREAM_POLL_S = 0.25
STREAM_KEEPALIVE_S = 15.0


@router.get("/stats", responses=responses(401, 403, 503))
def stats(
    admin: CurrentAdmin,
    svc: AppServices,
    position: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="wait until the read models include this")
    ] = None,
) -> dict[str, Any]:
    """Users (total, active in 24 h, banned), open sessions by kind, devices online, license expiry
    breakdown, logins and failed logins in the last 24 h, and hourly series for the charts."""
    now = svc.clock()
    online = svc.presence.online_count(now - ONLINE_WINDOW)

    def figures(tx: Any) -> dict[str, Any]:
        return {**dashboard.stats(tx, now, online), "hourly": dashboard.hourly(tx, now, 24)}

    return svc.reads.query(position, figures)


@router.get("/activity", responses=responses(401, 403, 503))
def recent_activity(
    admin: CurrentAdmin,
    svc: AppServices,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
    position: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> dict[str, Any]:
    """The newest events as readable entries (actor, time, summary), newest first."""
    entries = svc.reads.query(position, lambda tx: activity.recent(tx, limit=limit, before=before))
    return {"entries": entries}


def _newer(svc: Services, after: int) -> list[dict[str, Any]]:
    with svc.reads.store.snapshot() as tx:
        return activity.after(tx, after, 500)


def _latest(svc: Services) -> int:
    with svc.reads.store.snapshot() as tx:
        return activity.latest_position(tx)


async def _events(request: Request, svc: Services, after: int) -> AsyncIterator[str]:
    idle = 0.0
    yield "retry: 2000\n\n"
    while not await request.is_disconnected():
        entries = await run_in_threadpool(_newer, svc, after)
        for entry in entries:
            after = int(entry["position"])
            yield f"id: {after}\nevent: activity\ndata: {json.dumps(entry)}\n\n"
        idle = 0.0 if entries else idle + STREAM_POLL_S
        if idle >= STREAM_KEEPALIVE_S:
            idle = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(STREAM_POLL_S)


def event_id(header: str | None) -> int | None:
    """The position a reconnecting ``EventSource`` names, if it is one (ASCII digits, 64-bit); anything
    else starts from the latest entry."""
    if not header or not header.isascii() or not header.isdigit():
        return None
    position = int(header)
    return position if position <= MAX_POSITION else None


@router.get("/stream", responses=responses(401, 403), response_class=StreamingResponse)
async def stream(
    request: Request,
    admin: CurrentAdmin,
    svc: AppServices,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events: each new activity entry as ``event: activity`` with its position as id."""
    start = event_id(last_event_id)
    if start is None:
        start = await run_in_threadpool(_latest, svc)
    return StreamingResponse(
        _events(request, svc, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
