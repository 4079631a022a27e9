"""Admin: alerts the abuse rules raised (brute force, automatic blocks, fingerprint churn) — list,
acknowledge (an event naming who saw it)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from api.deps import AppServices
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import responses
from api.schemas import Body, Written
from domain.alert import Alert
from projections import alerts

router = APIRouter(prefix="/admin/alerts", tags=["admin: alerts"])


class AlertView(BaseModel):
    id: str
    kind: str
    subject: str
    count: int
    acknowledged_by: str | None


class Acknowledge(Body):
    pass


class AlertWritten(Written):
    alert: AlertView


def alert_view(alert: Alert) -> AlertView:
    return AlertView(
        id=str(alert.id),
        kind=alert.kind.value,
        subject=alert.subject,
        count=alert.count,
        acknowledged_by=alert.acknowledged_by,
    )


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_alerts(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    open_only: Annotated[bool, Query(alias="open", description="only alerts nobody acknowledged")] = False,
    sort: Literal["raised_at", "kind"] = "raised_at",
) -> ListPage:
    """Alerts, newest first, with who acknowledged them."""
    return page_of(
        svc.reads.query(params.position, lambda tx: alerts.list_alerts(tx, open_only, params.cut(sort)))
    )


@router.post("/{alert_id}/acknowledge", response_model=AlertWritten, responses=responses(401, 403, 404, 422))
def acknowledge(
    alert_id: UUID, body: Acknowledge, admin: CurrentAdmin, request: Request, svc: AppServices
) -> AlertWritten:
    """Marks an alert as seen; a second acknowledgement changes nothing."""
    written = svc.ledger.acknowledge_alert(alert_id, svc.clock(), admin.context(request))
    return AlertWritten(
        position=written.position, alert=alert_view(svc.ledger.load(Alert, alert_id, "alert"))
    )
