"""Admin pages: devices (online state, last seen, client version; rename, release) and sessions (by
kind; revoke). Release and revoke ask first."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import AppServices
from api.presence_window import ONLINE_WINDOW
from api.services import Services
from api.ui import fields
from api.ui.pages import AdminPage, Page, PageRoute, confirm, done
from api.ui.templating import gettext, render
from domain.session import CloseReason
from projections import devices, sessions
from projections.base import text_time

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
    found = svc.reads.query(
        None,
        lambda tx: devices.list_devices(
            tx,
            account_id=None,
            search=None,
            released=None,
            sort="bound_at",
            descending=True,
            limit=25,
            cursor=cursor,
        ),
    )
    online_since = svc.clock() - ONLINE_WINDOW
    for item in found.rows:
        seen = svc.presence.last_seen(UUID(str(item["id"])))
        item["last_seen"] = seen.at if seen else None
        item["online"] = bool(seen and seen.at >= online_since)
        if seen and seen.client_version:
            item["client_version"] = seen.client_version
    return render(
        request,
        "devices.html",
        csrf=page.csrf,
        items=found.rows,
        next_cursor=found.next_cursor,
        errors=page.errors,
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
    now = text_time(svc.clock())
    found = svc.reads.query(
        None,
        lambda tx: sessions.list_sessions(
            tx,
            kind=chosen or None,
            account_id=None,
            open_only=True,
            now=now,
            sort="opened_at",
            descending=True,
            limit=25,
            cursor=cursor,
        ),
    )
    return render(
        request, "sessions.html", csrf=page.csrf, items=found.rows, next_cursor=found.next_cursor, kind=chosen
    )


@router.post("/sessions/{session_id}/revoke", response_class=HTMLResponse)
def revoke(request: Request, session_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Closes a session (asks first)."""
    svc.ledger.session(session_id)
    if not page.confirmed:
        text = gettext(request, "Revoke session %(id)s? Its tokens or cookie stop working at once.")
        return confirm(request, page, text % {"id": str(session_id)[:8]}, "/ui/sessions")
    svc.ledger.close_session(session_id, CloseReason.REVOKE, svc.clock(), page.admin.context(request))
    return done("/ui/sessions")
