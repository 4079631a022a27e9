"""Admin pages: licenses — issue a batch (keys shown once, with copy and CSV), list by status, and
suspend, reinstate, revoke (each asks first) or extend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api import lists
from api.deps import AppServices
from api.services import Services
from api.ui import fields
from api.ui.csv_export import csv_response
from api.ui.i18n import N_
from api.ui.pages import AdminPage, Page, PageRoute, confirm, done
from api.ui.templating import gettext, render
from domain.errors import DomainError
from domain.roles import parse_tier
from projections import licenses
from projections.pages import Order

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
ACTIONS = {
    "suspend": N_("Suspend license %(id)s? Its account's clients will report it suspended."),
    "reinstate": N_("Reinstate license %(id)s?"),
    "revoke": N_("Revoke license %(id)s for good? Its days leave the account's expiry."),
}


NO_MATCH = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Search:
    """What the list shows: a status, a batch, and what was typed in the search box."""

    status: str = ""
    batch: str = ""
    text: str = ""


def chosen(svc: Services, search: Search) -> licenses.LicenseFilter:
    """The filter of a search: a license id, a key (found by its digest, as clients find it) or a
    username; something that is none of them matches nothing."""
    text, license_id, account_id = search.text, None, None
    if text:
        try:
            license_id = str(UUID(text))
        except ValueError:
            try:
                found = svc.ledger.license_id_for_key(text)
            except DomainError:
                found = None
            owner = None if found else svc.ledger.account_id_for(text)
            license_id = str(found) if found else (None if owner else NO_MATCH)
            account_id = str(owner) if owner else None
    batch = search.batch if search.batch and not text else None
    return licenses.LicenseFilter(search.status or None, account_id, batch, license_id)


def license_list(request: Request, page: Page, svc: Services, search: Search, cursor: str | None) -> Response:
    found = lists.licenses_page(svc, chosen(svc, search), Order("issued_at", limit=25, cursor=cursor))
    return render(
        request,
        "licenses.html",
        csrf=page.csrf,
        items=found.rows,
        next_cursor=found.next_cursor,
        status=search.status,
        search=search,
        names=lists.names_of(svc, found.rows, "account_id"),
        errors=page.errors,
        form=page.form,
    )


@router.get("/licenses", response_class=HTMLResponse)
def licenses_page(
    request: Request,
    page: AdminPage,
    svc: AppServices,
    status: Annotated[str, Query(max_length=10)] = "",
    search: Annotated[str, Query(max_length=64, pattern=r"^[^\x00]*$")] = "",
    batch: Annotated[str, Query(max_length=36)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Licenses by status, batch, key, account or id, newest first, with the batch form and the actions."""
    shown = Search(status if status in licenses.STATUSES else "", batch, search.strip())
    return license_list(request, page, svc, shown, cursor)


@router.post("/licenses", response_class=HTMLResponse)
def issue(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Issues a batch; this page is the only time its keys are shown."""
    count, days = fields.whole(page, "count", 1, 1000), fields.whole(page, "days", 1, 3650)
    limit, note = fields.whole(page, "device_limit", 1, 100), fields.text(page, "note", required=False)
    if not page.errors and count and days and limit:
        try:
            written = svc.ledger.issue_licenses(
                count,
                days,
                parse_tier(page.text("tier") or "user"),
                limit,
                note or "",
                svc.clock(),
                page.admin.context(request),
            )
            return render(request, "issued.html", csrf=page.csrf, keys=written.value, days=days)
        except DomainError as error:
            page.errors["count"] = error.code
    return license_list(request, page, svc, Search(), None)


@router.post("/licenses/keys.csv", response_class=HTMLResponse)
def keys_csv(page: AdminPage) -> Response:
    """The keys just shown, sent back by the page, as CSV (the server keeps no copy of them)."""
    rows = zip(page.form.getlist("license_id"), page.form.getlist("key"), strict=False)
    return csv_response("keyledger-keys.csv", ("license_id", "key"), [[str(a), str(b)] for a, b in rows])


@router.post("/licenses/{license_id}/extend", response_class=HTMLResponse)
def extend(request: Request, license_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Adds days to a license."""
    days = fields.whole(page, "days", 1, 3650)
    if days and not page.errors:
        svc.ledger.extend_license(license_id, days, svc.clock(), page.admin.context(request))
        return done("/ui/licenses")
    svc.ledger.license(license_id)
    return license_list(request, page, svc, Search(), None)


def license_name(svc: Services, license_id: UUID) -> str:
    """How a confirmation names a license: its note, or the account holding it, or its id."""
    found = svc.ledger.license(license_id)
    if found.account_id is not None:
        return svc.ledger.account(found.account_id).username
    return found.note or str(license_id)


def change(request: Request, license_id: UUID, action: str, page: Page, svc: Services) -> Response:
    """Suspends, reinstates or revokes a license once confirmed; asks first."""
    svc.ledger.license(license_id)
    if not page.confirmed:
        message = gettext(request, ACTIONS[action]) % {"id": license_name(svc, license_id)}
        return confirm(request, page, message, "/ui/licenses")
    command = {
        "suspend": svc.ledger.suspend_license,
        "reinstate": svc.ledger.reinstate_license,
        "revoke": svc.ledger.revoke_license,
    }[action]
    try:
        command(license_id, svc.clock(), page.admin.context(request, page.text("reason") or None))
    except DomainError as error:
        page.errors[str(license_id)] = error.code
        return license_list(request, page, svc, Search(), None)
    return done("/ui/licenses")


@router.post("/licenses/{license_id}/suspend", response_class=HTMLResponse)
def suspend(request: Request, license_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Suspends a license (asks first)."""
    return change(request, license_id, "suspend", page, svc)


@router.post("/licenses/{license_id}/reinstate", response_class=HTMLResponse)
def reinstate(request: Request, license_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Lifts a suspension (asks first)."""
    return change(request, license_id, "reinstate", page, svc)


@router.post("/licenses/{license_id}/revoke", response_class=HTMLResponse)
def revoke(request: Request, license_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Revokes a license for good (asks first)."""
    return change(request, license_id, "revoke", page, svc)
