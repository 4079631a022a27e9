"""Admin: accounts — create, read, change role or device limit, ban, unban, set password."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from pydantic import Field

from api import lists
from api.deps import AppServices
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import responses
from api.schemas import NO_NUL, AccountView, Body, Password, Reason, Username, Written
from api.views import account_view
from domain.roles import parse_role, parse_tier
from projections.accounts import AccountFilter

router = APIRouter(prefix="/admin/users", tags=["admin: users"])
ERRORS = responses(401, 403, 404, 409, 422)


class CreateUser(Body):
    username: Username
    password: Password
    role: str = "user"


class Created(Written):
    id: str


class UpdateUser(Body):
    role: str | None = None
    device_limit: int | None = None
    reason: Reason | None = None


class AccountWritten(Written):
    account: AccountView


class Ban(Body):
    reason: Reason
    until: datetime | None = Field(default=None, description="when the ban ends; none: until unbanned")


class Unban(Body):
    reason: Reason | None = None


class SetPassword(Body):
    password: Password


class Grant(Body):
    days: int
    tier: str = "user"
    device_limit: int = 1
    reason: Reason | None = None


class Granted(AccountWritten):
    license_id: str


@router.post("", status_code=201, response_model=Created, responses=ERRORS)
def create_user(
    body: CreateUser,
    admin: CurrentAdmin,
    request: Request,
    svc: AppServices,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Created:
    """Registers an account (usernames are unique case-insensitively)."""
    written = svc.ledger.register(
        body.username,
        body.password,
        parse_role(body.role),
        svc.clock(),
        admin.context(request),
        idempotency_key=idempotency_key,
    )
    return Created(id=str(written.value), position=written.position)


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_users(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    search: Annotated[
        str | None, Query(max_length=50, pattern=NO_NUL, description="part of a username")
    ] = None,
    role: Literal["user", "vip", "admin"] | None = None,
    status: Literal["active", "banned"] | None = None,
    sort: Literal["username", "created_at", "last_login_at", "license_expiry", "role"] = "created_at",
) -> ListPage:
    """Accounts from the read model: search, filter by role and status, sort, cursor pagination."""
    found = lists.users(svc, AccountFilter(search, role, status), params.cut(sort), params.position)
    return page_of(found)


@router.get("/{account_id}", response_model=AccountView, responses=responses(401, 403, 404, 422))
def get_user(account_id: UUID, admin: CurrentAdmin, svc: AppServices) -> AccountView:
    """One account as the ledger holds it now."""
    return account_view(svc.ledger.account(account_id))


@router.patch("/{account_id}", response_model=AccountWritten, responses=ERRORS)
def update_user(
    account_id: UUID, body: UpdateUser, admin: CurrentAdmin, request: Request, svc: AppServices
) -> AccountWritten:
    """Changes the role and/or the device limit; a role change applies to the user's next request."""
    now, ctx = svc.clock(), admin.context(request, body.reason)
    positions = []
    if body.role is not None:
        positions.append(svc.ledger.change_role(account_id, parse_role(body.role), now, ctx).position)
    if body.device_limit is not None:
        positions.append(svc.ledger.set_device_limit(account_id, body.device_limit, now, ctx).position)
    position = max((p for p in positions if p is not None), default=None)
    return AccountWritten(position=position, account=account_view(svc.ledger.account(account_id)))


@router.post("/{account_id}/ban", response_model=AccountWritten, responses=ERRORS)
def ban(
    account_id: UUID, body: Ban, admin: CurrentAdmin, request: Request, svc: AppServices
) -> AccountWritten:
    """Bans the account with a reason (and optional end); every session of it closes at once."""
    written = svc.ledger.ban(account_id, body.until, svc.clock(), admin.context(request, body.reason))
    return AccountWritten(position=written.position, account=account_view(svc.ledger.account(account_id)))


@router.post("/{account_id}/unban", response_model=AccountWritten, responses=ERRORS)
def unban(
    account_id: UUID, body: Unban, admin: CurrentAdmin, request: Request, svc: AppServices
) -> AccountWritten:
    """Lifts the account's ban."""
    written = svc.ledger.unban(account_id, svc.clock(), admin.context(request, body.reason))
    return AccountWritten(position=written.position, account=account_view(svc.ledger.account(account_id)))


@router.post("/{account_id}/password", response_model=Written, responses=ERRORS)
def set_password(
    account_id: UUID, body: SetPassword, admin: CurrentAdmin, request: Request, svc: AppServices
) -> Written:
    """Sets a new password; the account's open sessions close."""
    written = svc.ledger.change_password(account_id, body.password, svc.clock(), admin.context(request))
    return Written(position=written.position)


@router.post("/{account_id}/grants", status_code=201, response_model=Granted, responses=ERRORS)
def grant(account_id: UUID, body: Grant, admin: CurrentAdmin, request: Request, svc: AppServices) -> Granted:
    """Grants license time straight to the account (a license issued and activated at once, with no key);
    revoking that license (``/admin/licenses/{id}/revoke``) takes the time back."""
    written = svc.ledger.grant_license(
        account_id,
        body.days,
        parse_tier(body.tier),
        body.device_limit,
        svc.clock(),
        admin.context(request, body.reason),
    )
    view = account_view(svc.ledger.account(account_id))
    return Granted(position=written.position, account=view, license_id=str(written.value.license_id))
