"""Admin: sessions — read and revoke (takes effect on the session's next request)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from api import lists
from api.deps import AppServices
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import responses
from api.schemas import Body, Reason, Written
from domain.session import CloseReason, Session
from projections.sessions import SessionFilter

router = APIRouter(prefix="/admin/sessions", tags=["admin: sessions"])


class SessionView(BaseModel):
    id: str
    account_id: str
    kind: str
    device_id: str | None
    expires_at: datetime
    open: bool
    closed_reason: str | None


class Revoke(Body):
    reason: Reason | None = None


class SessionWritten(Written):
    session: SessionView


def session_view(session: Session) -> SessionView:
    return SessionView(
        id=str(session.id),
        account_id=str(session.account_id),
        kind=session.kind.value,
        device_id=str(session.device_id) if session.device_id else None,
        expires_at=session.expires_at,
        open=session.is_open,
        closed_reason=session.closed_reason.value if session.closed_reason else None,
    )


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_sessions(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    kind: Literal["web", "desktop"] | None = None,
    account_id: UUID | None = None,
    open_only: Annotated[bool, Query(alias="open")] = True,
    sort: Literal["opened_at", "expires_at", "closed_at"] = "opened_at",
) -> ListPage:
    """Sessions from the read model, by kind and account; open ones only unless ``open=false``."""
    f = SessionFilter(kind, str(account_id) if account_id else None, open_only)
    return page_of(lists.sessions_page(svc, f, params.cut(sort), params.position))


@router.get("/{session_id}", response_model=SessionView, responses=responses(401, 403, 404, 422))
def get_session(session_id: UUID, admin: CurrentAdmin, svc: AppServices) -> SessionView:
    """One session as the ledger holds it now."""
    return session_view(svc.ledger.session(session_id))


@router.post("/{session_id}/revoke", response_model=SessionWritten, responses=responses(401, 403, 404, 422))
def revoke(
    session_id: UUID, body: Revoke, admin: CurrentAdmin, request: Request, svc: AppServices
) -> SessionWritten:
    """Closes a session: its tokens or cookie fail on their next request."""
    written = svc.ledger.close_session(
        session_id, CloseReason.REVOKE, svc.clock(), admin.context(request, body.reason)
    )
    return SessionWritten(position=written.position, session=session_view(svc.ledger.session(session_id)))
