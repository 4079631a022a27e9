"""Admin pages: the audit log — events with their full context, filtered by actor, type, aggregate, IP
and time; the state of any aggregate as of a time; the latest signed checkpoint and how to verify it."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from keyledger_verifier.state import aggregate_state

from api.deps import AppServices
from api.event_data import stored_event
from api.routes.ledger import latest_checkpoint
from api.services import Services
from api.ui.events import EVENT_LABELS
from api.ui.pages import AdminPage, PageRoute
from api.ui.templating import render
from api.ui.times import TZ_COOKIE, zone_of
from projections import audit_index, names
from projections.base import stamp

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
FILTER = Annotated[str, Query(max_length=80, pattern=r"^[^\x00]*$")]
PAGE_SIZE = 50


def when(raw: str, zone: tzinfo) -> datetime | None:
    """A form's time: a browser's ``datetime-local`` value is a wall-clock time in the reader's zone (the
    one the pages show times in); a value with an explicit offset means what it says."""
    try:
        found = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return found.replace(tzinfo=zone) if found and not found.tzinfo else found


def state_as_of(svc: Services, aggregate: str, at: datetime | None) -> str | None:
    """The aggregate replayed up to its last event at or before ``at``, as indented JSON."""
    try:
        ident = UUID(aggregate)
    except ValueError:
        return None
    entries = [e for e in svc.ledger_log.history(ident) if at is None or e.at <= at]
    if not entries:
        return None
    state = aggregate_state(svc.ledger.repository.get(ident, version=int(entries[-1].event["version"])))
    return json.dumps(state, indent=2, ensure_ascii=False)


def found_events(svc: Services, filters: dict[str, str], cursor: int | None) -> list[dict[str, Any]]:
    entries = svc.reads.query(None, lambda tx: audit_index.search(tx, filters, after=cursor, limit=PAGE_SIZE))
    events = [stored_event(svc.ledger, int(entry["position"])) for entry in entries]
    return [
        dict(
            e,
            aggregate_type=e["event_type"].split(".", 1)[0],
            context=e["context"] or {},
            pretty=json.dumps({"data": e["data"], "context": e["context"]}, indent=2, ensure_ascii=False),
        )
        for e in events
        if e is not None
    ]


def event_names(svc: Services, events: list[dict[str, Any]]) -> dict[str, str]:
    """Names of the events' objects and actors."""
    actors = [str(e["context"].get("actor") or "").removeprefix("api-key:") for e in events]
    ids = [*(e["aggregate_id"] for e in events), *actors]
    return svc.reads.query(None, lambda tx: names.lookup(tx, ids))


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    page: AdminPage,
    svc: AppServices,
    actor: FILTER = "",
    event_type: FILTER = "",
    aggregate_id: FILTER = "",
    ip: FILTER = "",
    since: FILTER = "",
    until: FILTER = "",
    at: FILTER = "",
    cursor: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
) -> Response:
    """Events (oldest first) with their context, the state-as-of form and the latest checkpoint."""
    zone = zone_of(request.cookies.get(TZ_COOKIE))
    given = {"actor": actor, "event_type": event_type, "aggregate_id": aggregate_id, "client_ip": ip}
    filters = {k: v for k, v in given.items() if v}
    for name, raw in (("since", since), ("until", until)):
        moment = when(raw, zone)
        if moment:
            filters[name] = str(stamp(moment))
    events = found_events(svc, filters, cursor)
    state = state_as_of(svc, aggregate_id, when(at, zone)) if aggregate_id and at else None
    return render(
        request,
        "audit.html",
        csrf=page.csrf,
        events=events,
        names=event_names(svc, events),
        event_types=sorted(EVENT_LABELS),
        values={**given, "ip": ip, "since": since, "until": until, "at": at},
        state=state,
        zone_name=str(zone),
        checkpoint=latest_checkpoint(svc),
        verifier_key=svc.ledger_log.verifier_key(),
        next_cursor=events[-1]["position"] if len(events) == PAGE_SIZE else None,
    )
