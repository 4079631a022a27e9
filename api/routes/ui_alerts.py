"""Admin pages: alerts — newest first, with acknowledge (an event naming who saw it)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api import lists
from api.deps import AppServices
from api.services import Services
from api.ui.pages import AdminPage, Page, PageRoute
from api.ui.templating import render
from domain.alert import Alert
from projections import alerts
from projections.pages import Order

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)


def alerts_list(request: Request, page: Page, svc: Services, position: int | None) -> Response:
    order = Order("raised_at", limit=200)
    found = svc.reads.query(position, lambda tx: alerts.list_alerts(tx, False, order))
    named = lists.names_of(svc, found.rows, "subject", "acknowledged_by")
    return render(request, "alerts.html", csrf=page.csrf, items=found.rows, names=named)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Alerts, newest first; those nobody acknowledged stand out."""
    return alerts_list(request, page, svc, None)


@router.post("/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
def acknowledge(request: Request, alert_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Marks an alert as seen, and shows the list with it acknowledged."""
    svc.ledger.load(Alert, alert_id, "alert")
    written = svc.ledger.acknowledge_alert(alert_id, svc.clock(), page.admin.context(request))
    return alerts_list(request, page, svc, written.position)
