"""Admin pages: users — list (search, filters, sort, pages, CSV), create, detail, and the actions on an
account (ban, unban, password, role, device limit), each through the same ledger commands as the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from api import lists
from api.deps import AppServices
from api.services import Services
from api.ui import fields
from api.ui.csv_export import csv_response
from api.ui.pages import AdminPage, Page, PageRoute, confirm, done
from api.ui.templating import gettext, render
from domain.errors import DomainError
from domain.roles import Role, parse_tier
from projections import accounts, devices, licenses, sessions
from projections.pages import Order
from projections.pages import Page as ReadPage

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
SORTS = ("created_at", "username", "last_login_at", "license_expiry", "role")
PAGE_SIZE = 25
CSV_COLUMNS = (
    "id",
    "username",
    "role",
    "banned",
    "banned_until",
    "license_expiry",
    "created_at",
    "last_login_at",
)


@dataclass(frozen=True)
class Filters:
    search: str | None
    role: str | None
    status: str | None
    sort: str
    descending: bool


def user_filters(
    search: Annotated[str, Query(max_length=50, pattern=r"^[^\x00]*$")] = "",
    role: Annotated[str, Query(max_length=10)] = "",
    status: Annotated[str, Query(max_length=10)] = "",
    sort: Annotated[str, Query(max_length=20)] = "created_at",
    order: Annotated[str, Query(max_length=4)] = "desc",
) -> Filters:
    return Filters(
        search or None,
        role if role in {r.value for r in Role} else None,
        status if status in ("active", "banned") else None,
        sort if sort in SORTS else "created_at",
        order != "asc",
    )


UserFilters = Annotated[Filters, Depends(user_filters)]


def user_page(svc: Services, f: Filters, limit: int, cursor: str | None) -> ReadPage:
    chosen = accounts.AccountFilter(f.search, f.role, f.status)
    return lists.users(svc, chosen, Order(f.sort, f.descending, limit, cursor))


def users_list(request: Request, page: Page, svc: Services, f: Filters, cursor: str | None) -> Response:
    found = user_page(svc, f, PAGE_SIZE, cursor)
    return render(
        request,
        "users.html",
        csrf=page.csrf,
        users=found.rows,
        next_cursor=found.next_cursor,
        filters=f,
        sorts=SORTS,
        errors=page.errors,
        form=page.form,
    )


@router.get("/users", response_class=HTMLResponse)
def users(
    request: Request,
    page: AdminPage,
    svc: AppServices,
    filters: UserFilters,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Accounts with search, role and status filters, sort and cursor pages."""
    return users_list(request, page, svc, filters, cursor)


@router.get("/users/export.csv", response_class=HTMLResponse)
def users_csv(page: AdminPage, svc: AppServices, filters: UserFilters) -> Response:
    """Every account the filters match, as CSV."""
    f, rows, cursor = filters, [], None
    while True:
        found = user_page(svc, f, 200, cursor)
        rows += [[row.get(c) for c in CSV_COLUMNS] for row in found.rows]
        if not found.next_cursor:
            return csv_response("keyledger-users.csv", CSV_COLUMNS, rows)
        cursor = found.next_cursor


@router.post("/users", response_class=HTMLResponse)
def create_user(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Registers an account and opens its page."""
    username = fields.text(page, "username", limit=64)
    password = fields.text(page, "password", limit=1024)
    role = page.text("role") if page.text("role") in {r.value for r in Role} else "user"
    if username and password:
        try:
            written = svc.ledger.register(
                username, password, Role(role), svc.clock(), page.admin.context(request)
            )
            return done(f"/ui/users/{written.value}")
        except DomainError as error:
            page.errors["username"] = error.code
    return users_list(request, page, svc, user_filters(), None)


def detail(svc: Services, account_id: UUID) -> dict[str, Any]:
    account = svc.ledger.account(account_id)
    key = str(account_id)

    history = svc.ledger_log.history(account_id)
    opened = lists.sessions_page(svc, sessions.SessionFilter(account_id=key), Order("opened_at")).rows
    actors: list[dict[str, Any]] = [dict(h.event.get("context") or {}) for h in history]
    return {
        "account": account,
        "history": history,
        "licenses": lists.licenses_page(svc, licenses.LicenseFilter(account_id=key), Order("issued_at")).rows,
        "devices": lists.devices_page(svc, devices.DeviceFilter(account_id=key), Order("bound_at")).rows,
        "sessions": opened,
        "names": lists.names_of(svc, [*actors, *opened], "actor", "device_id"),
    }


def user_detail(request: Request, page: Page, svc: Services, account_id: UUID) -> Response:
    return render(
        request, "user.html", csrf=page.csrf, errors=page.errors, form=page.form, **detail(svc, account_id)
    )


@router.get("/users/{account_id}", response_class=HTMLResponse)
def user(request: Request, account_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """One account: its licenses, devices, sessions and history, and the actions on it."""
    return user_detail(request, page, svc, account_id)


def act(request: Request, page: Page, svc: Services, account_id: UUID, write: Any, field: str) -> Response:
    """Runs ``write`` if the form is valid; back to the account's page, or the page with the errors."""
    if not page.errors:
        try:
            write()
            return done(f"/ui/users/{account_id}")
        except DomainError as error:
            page.errors[field] = error.code
    return user_detail(request, page, svc, account_id)


@router.post("/users/{account_id}/ban", response_class=HTMLResponse)
def ban(request: Request, account_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Bans the account with a reason and an optional end (asks first)."""
    name = svc.ledger.account(account_id).username
    reason, until = fields.text(page, "reason"), fields.moment(page, "until")
    if not page.errors and not page.confirmed:
        message = gettext(request, "Ban %(name)s and close every session of the account?") % {"name": name}
        return confirm(request, page, message, f"/ui/users/{account_id}")
    ctx = page.admin.context(request, reason)
    return act(
        request, page, svc, account_id, lambda: svc.ledger.ban(account_id, until, svc.clock(), ctx), "reason"
    )


@router.post("/users/{account_id}/unban", response_class=HTMLResponse)
def unban(request: Request, account_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Lifts the account's ban (asks first)."""
    name = svc.ledger.account(account_id).username
    if not page.confirmed:
        message = gettext(request, "Lift the ban on %(name)s?") % {"name": name}
        return confirm(request, page, message, f"/ui/users/{account_id}")
    ctx = page.admin.context(request, fields.text(page, "reason", required=False))
    return act(
        request, page, svc, account_id, lambda: svc.ledger.unban(account_id, svc.clock(), ctx), "unban"
    )


@router.post("/users/{account_id}/password", response_class=HTMLResponse)
def set_password(request: Request, account_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Sets a new password; the account's sessions close."""
    password = fields.text(page, "password", limit=1024) or ""
    ctx = page.admin.context(request)
    return act(
        request,
        page,
        svc,
        account_id,
        lambda: svc.ledger.change_password(account_id, password, svc.clock(), ctx),
        "password",
    )


@router.post("/users/{account_id}/role", response_class=HTMLResponse)
def change_role(request: Request, account_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Changes the role; it applies to the user's next request."""
    role = page.text("role")
    if role not in {r.value for r in Role}:
        page.errors["role"] = "required"
    ctx = page.admin.context(request)
    return act(
        request,
        page,
        svc,
        account_id,
        lambda: svc.ledger.change_role(account_id, Role(role), svc.clock(), ctx),
        "role",
    )


@router.post("/users/{account_id}/device-limit", response_class=HTMLResponse)
def device_limit(request: Request, account_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Sets how many devices the account may bind."""
    limit = fields.whole(page, "device_limit", 0, 100) or 0
    ctx = page.admin.context(request)
    return act(
        request,
        page,
        svc,
        account_id,
        lambda: svc.ledger.set_device_limit(account_id, limit, svc.clock(), ctx),
        "device_limit",
    )


@router.post("/users/{account_id}/grant", response_class=HTMLResponse)
def grant(request: Request, account_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Grants license time straight to the account (revoking its license on the licenses page undoes it)."""
    days, limit = fields.whole(page, "grant_days", 1, 3650), fields.whole(page, "grant_device_limit", 1, 100)
    tier = page.text("grant_tier") or "user"
    ctx = page.admin.context(request, fields.text(page, "grant_reason", required=False))
    return act(
        request,
        page,
        svc,
        account_id,
        lambda: svc.ledger.grant_license(
            account_id, days or 0, parse_tier(tier), limit or 0, svc.clock(), ctx
        ),
        "grant_days",
    )
