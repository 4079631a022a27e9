"""Admin pages: webhooks — list and register (the secret is shown once), an endpoint's page with its
delivery log and a re-send per delivery, rotate the secret, disable, enable, remove (asks first)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import AppServices
from api.services import Services
from api.ui import fields
from api.ui.i18n import N_
from api.ui.pages import AdminPage, Page, PageRoute, confirm, done
from api.ui.templating import gettext, render
from domain.errors import DomainError
from projections import deliveries, webhooks
from projections.pages import Order

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
ACTIONS = {
    "disable": N_("Disable this webhook? Events from now on are not sent to it."),
    "remove": N_("Remove this webhook for good?"),
    "rotate-secret": N_("Make a new signing secret? The old one keeps signing for 24 hours."),
}


def hooks_list(request: Request, page: Page, svc: Services) -> Response:
    found = svc.reads.query(
        None, lambda tx: webhooks.list_endpoints(tx, False, Order("registered_at", limit=200))
    )
    return render(
        request, "webhooks.html", csrf=page.csrf, items=found.rows, errors=page.errors, form=page.form
    )


@router.get("/webhooks", response_class=HTMLResponse)
def hooks_page(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Endpoints, with the register form."""
    return hooks_list(request, page, svc)


@router.post("/webhooks", response_class=HTMLResponse)
def register(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Registers an endpoint (its URL is checked); this page is the only time its secret is shown."""
    url, types = fields.text(page, "url", limit=2000), fields.text(page, "event_types", limit=2000)
    description = fields.text(page, "description", required=False, limit=200) or ""
    if url and types and not page.errors:
        try:
            svc.integrations.guard.check(url)
            secret, sealed = svc.integrations.secrets.new()
            svc.ledger.register_webhook(
                url, types.split(), description, sealed, svc.clock(), page.admin.context(request)
            )
            return render(request, "secret_shown.html", what="webhook", secret=secret, back="/ui/webhooks")
        except DomainError as error:
            page.errors["url"] = error.code
    return hooks_list(request, page, svc)


def hook_page_of(request: Request, endpoint_id: UUID, page: Page, svc: Services) -> Response:
    endpoint = svc.ledger.webhook(endpoint_id)
    log = svc.reads.query(
        None, lambda tx: deliveries.log_of(tx, str(endpoint_id), Order("position", limit=100))
    )
    return render(request, "webhook.html", csrf=page.csrf, hook=endpoint, log=log.rows, errors=page.errors)


@router.get("/webhooks/{endpoint_id}", response_class=HTMLResponse)
def hook_page(request: Request, endpoint_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """One endpoint with its delivery log, newest first."""
    return hook_page_of(request, endpoint_id, page, svc)


@router.post("/webhooks/{endpoint_id}/resend", response_class=HTMLResponse)
def resend(request: Request, endpoint_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Sends one event to the endpoint again."""
    position = fields.whole(page, "position", 1, 2**63 - 1)
    if position and not page.errors:
        try:
            svc.ledger.resend_webhook(endpoint_id, position, svc.clock(), page.admin.context(request))
            return done(f"/ui/webhooks/{endpoint_id}")
        except DomainError as error:
            page.errors["position"] = error.code
    return hook_page_of(request, endpoint_id, page, svc)


@router.post("/webhooks/{endpoint_id}/enable", response_class=HTMLResponse)
def enable(request: Request, endpoint_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Resumes deliveries, and shows the endpoint's page."""
    svc.ledger.enable_webhook(endpoint_id, svc.clock(), page.admin.context(request))
    return hook_page_of(request, endpoint_id, page, svc)


def act(request: Request, endpoint_id: UUID, action: str, page: Page, svc: Services) -> Response:
    """Disables, removes or rotates once confirmed; asks first."""
    svc.ledger.webhook(endpoint_id)
    if not page.confirmed:
        return confirm(request, page, gettext(request, ACTIONS[action]), f"/ui/webhooks/{endpoint_id}")
    now, ctx = svc.clock(), page.admin.context(request)
    try:
        if action == "rotate-secret":
            secret, sealed = svc.integrations.secrets.new()
            svc.ledger.rotate_webhook_secret(endpoint_id, sealed, now, ctx)
            return render(
                request,
                "secret_shown.html",
                what="webhook",
                secret=secret,
                back=f"/ui/webhooks/{endpoint_id}",
            )
        if action == "disable":
            svc.ledger.disable_webhook(endpoint_id, False, now, ctx)
        else:
            svc.ledger.remove_webhook(endpoint_id, now, ctx)
    except DomainError as error:
        page.errors["action"] = error.code
        return hook_page_of(request, endpoint_id, page, svc)
    return done("/ui/webhooks" if action == "remove" else f"/ui/webhooks/{endpoint_id}")


@router.post("/webhooks/{endpoint_id}/disable", response_class=HTMLResponse)
def disable(request: Request, endpoint_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Stops deliveries (asks first)."""
    return act(request, endpoint_id, "disable", page, svc)


@router.post("/webhooks/{endpoint_id}/remove", response_class=HTMLResponse)
def remove(request: Request, endpoint_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Removes the endpoint for good (asks first)."""
    return act(request, endpoint_id, "remove", page, svc)


@router.post("/webhooks/{endpoint_id}/rotate-secret", response_class=HTMLResponse)
def rotate(request: Request, endpoint_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """A new signing secret, shown once (asks first)."""
    return act(request, endpoint_id, "rotate-secret", page, svc)
