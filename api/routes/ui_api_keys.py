"""Admin pages: API keys — list with last use, create (the token is shown once), revoke (asks first)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import AppServices
from api.services import Services
from api.ui import fields
from api.ui.pages import AdminPage, Page, PageRoute, confirm, done
from api.ui.templating import gettext, render
from domain.api_key import Scope
from domain.errors import DomainError
from projections import api_keys
from projections.pages import Order

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)


def keys_list(request: Request, page: Page, svc: Services) -> Response:
    found = svc.reads.query(None, lambda tx: api_keys.list_keys(tx, False, Order("created_at", limit=200)))
    used = svc.key_usage.last_used()
    for row in found.rows:
        row["last_used_at"] = used.get(str(row["id"]))
    return render(
        request,
        "api_keys.html",
        csrf=page.csrf,
        items=found.rows,
        scopes=[s.value for s in Scope],
        errors=page.errors,
        form=page.form,
    )


@router.get("/api-keys", response_class=HTMLResponse)
def keys_page(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Keys (never their secrets), with the create form."""
    return keys_list(request, page, svc)


@router.post("/api-keys", response_class=HTMLResponse)
def create(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Creates a key; this page is the only time its token is shown."""
    name, expires = fields.text(page, "name", limit=80), fields.moment(page, "expires_at")
    chosen = [str(s) for s in page.form.getlist("scope")]
    if not chosen:
        page.errors["scope"] = "required"
    if name and chosen and not page.errors:
        try:
            written = svc.ledger.create_api_key(
                name, chosen, expires, svc.clock(), page.admin.context(request)
            )
            return render(
                request, "secret_shown.html", what="api_key", secret=written.value.token, back="/ui/api-keys"
            )
        except DomainError as error:
            page.errors["name"] = error.code
    return keys_list(request, page, svc)


@router.post("/api-keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke(request: Request, key_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Revokes a key for good (asks first)."""
    key = svc.ledger.api_key(key_id)
    if not page.confirmed:
        text = gettext(request, "Revoke the API key %(name)s? Its next request is refused.") % {
            "name": key.name
        }
        return confirm(request, page, text, "/ui/api-keys")
    try:
        svc.ledger.revoke_api_key(key_id, svc.clock(), page.admin.context(request))
    except DomainError as error:
        page.errors[str(key_id)] = error.code
        return keys_list(request, page, svc)
    return done("/ui/api-keys")
