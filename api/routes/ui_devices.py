"""Admin pages: devices (online state, last seen, client version; rename, release) and sessions (by
kind; revoke). Release and revoke ask first."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api import lists
from api.deps import AppServices
from api.services import Services
from api.ui import fields
from api.ui.pages import AdminPage, Page, PageRoute, confirm, done
from api.ui.templating import gettext, render
from domain.session import CloseReason
from projections import devices, session_clients, sessions
from projections.pages import Order

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)


@router.get("/devices", response_class=HTMLResponse)
def devices_page(
    request: Request,
    page: AdminPage,
    svc: AppServices,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Devices with their presence: online, last seen, address, client version."""
    return devices_list(request, page, svc, cursor)


def devices_list(request: Request, page: Page, svc: Services, cursor: str | None) -> Response:
    found = lists.devices_page(svc, devices.DeviceFilter(), Order("bound_at", limit=25, cursor=cursor))
    return render(
        request,
        "devices.html",
        csrf=page.csrf,
        items=found.rows,
        next_cursor=found.next_cursor,
        errors=page.errors,
        names=lists.names_of(svc, found.rows, "account_id"),
    )


@router.post("/devices/{device_id}/rename", response_class=HTMLResponse)
def rename(request: Request, device_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Renames a device."""
    svc.ledger.device(device_id)
    name = fields.text(page, "nickname", limit=64)
    if not name:
        return devices_list(request, page, svc, None)
    svc.ledger.rename_device(device_id, name, svc.clock(), page.admin.context(request))
    return done("/ui/devices")


@router.post("/devices/{device_id}/release", response_class=HTMLResponse)
def release(request: Request, device_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Releases a device: frees its slot and closes its sessions (asks first)."""
    device = svc.ledger.device(device_id)
    if not page.confirmed:
        text = gettext(request, "Release device %(name)s? Its slot is freed and its sessions close.")
        return confirm(request, page, text % {"name": device.nickname}, "/ui/devices")
    svc.ledger.release_device(device_id, svc.clock(), page.admin.context(request))
    return done("/ui/devices")


@router.get("/sessions", response_class=HTMLResponse)
def sessions_page(
    request: Request,
    page: AdminPage,
    svc: AppServices,
    kind: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Open sessions, by kind (web or desktop)."""
    chosen = kind if kind in ("web", "desktop") else ""
    f = sessions.SessionFilter(kind=chosen or None, open_only=True)
    found = lists.sessions_page(svc, f, Order("opened_at", limit=25, cursor=cursor))
    ids = [str(row["id"]) for row in found.rows]
    return render(
        request,
        "sessions.html",
        csrf=page.csrf,
        items=found.rows,
        next_cursor=found.next_cursor,
        kind=chosen,
        names=lists.names_of(svc, found.rows, "account_id", "device_id"),
        clients=svc.reads.query(None, lambda tx: session_clients.of_sessions(tx, ids)),
        own_session=str(page.admin.session.id),
    )


@router.post("/sessions/{session_id}/revoke", response_class=HTMLResponse)
def revoke(request: Request, session_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Closes a session (asks first)."""
    found = svc.ledger.session(session_id)
    if not page.confirmed:
        text = gettext(request, "Revoke this session of %(name)s? Its tokens or cookie stop working at once.")
        name = svc.ledger.account(found.account_id).username
        return confirm(request, page, text % {"name": name}, "/ui/sessions")
    svc.ledger.close_session(session_id, CloseReason.REVOKE, svc.clock(), page.admin.context(request))
    return done("/ui/sessions")
