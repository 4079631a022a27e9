"""Admin page action: erase an account's personal data from its page. The strong confirmation is the
username typed again (what the API's ``POST /admin/users/{id}/erase`` asks too)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import AppServices
from api.routes.ui_users import user_detail
from api.ui import fields
from api.ui.pages import AdminPage, PageRoute, done

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)


@router.post("/users/{account_id}/erase", response_class=HTMLResponse)
def erase(request: Request, account_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Erases the account's personal data for good once its username is typed again."""
    account = svc.ledger.account(account_id)
    reason = fields.text(page, "erase_reason")
    typed = fields.text(page, "confirm_username", limit=64)
    if typed is not None and typed != account.username:
        page.errors["confirm_username"] = "username_mismatch"
    if svc.personal is None:
        page.errors["confirm_username"] = "personal_data_unavailable"
    if page.errors or svc.personal is None:
        return user_detail(request, page, svc, account_id)
    svc.personal.erase(account_id, svc.clock(), page.admin.context(request, reason))
    return done(f"/ui/users/{account_id}")
