"""Web sessions for the admin dashboard: an opaque cookie plus a CSRF token for writes."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response

from api.cookies import clear_session_cookie, set_session_cookie
from api.deps import AppServices, CurrentWebUser, audit_context, client_ip, csrf_token, login_limits
from api.problems import ApiError, responses
from api.schemas import AccountView, Body, Password, Username, Written
from api.views import account_view
from domain.session import CloseReason, SessionKind

router = APIRouter(prefix="/auth", tags=["web sessions"])


class LoginRequest(Body):
    username: Username
    password: Password


class LoginResponse(Written):
    account: AccountView
    csrf_token: str
    expires_at: datetime


@router.post("/login", response_model=LoginResponse, responses=responses(401, 403, 422, 503))
def login(body: LoginRequest, request: Request, response: Response, svc: AppServices) -> LoginResponse:
    """Opens a web session: sets the session cookie and returns the CSRF token for writes."""
    now = svc.clock()
    ip = client_ip(request)
    if ip is not None and svc.ledger.is_blocked(ip, now):
        raise ApiError(403, "ip_blocked", "requests from this address are blocked")
    login_limits(request, svc, body.username)
    ctx = audit_context(request, "anonymous")
    account = svc.ledger.authenticate(body.username, body.password, now, ctx)
    opened = svc.ledger.open_session(
        account.id, SessionKind.WEB, None, now, audit_context(request, str(account.id))
    )
    max_age = int((opened.value.expires_at - now).total_seconds())
    set_session_cookie(response, svc.web, opened.value.token, max_age)
    return LoginResponse(
        position=opened.position,
        account=account_view(svc.ledger.account(account.id)),
        csrf_token=csrf_token(svc, opened.value.token),
        expires_at=opened.value.expires_at,
    )


@router.post("/logout", response_model=Written, responses=responses(401, 403))
def logout(principal: CurrentWebUser, request: Request, response: Response, svc: AppServices) -> Written:
    """Closes this web session; the cookie stops working on the very next request."""
    written = svc.ledger.close_session(
        principal.session.id, CloseReason.LOGOUT, svc.clock(), principal.context(request)
    )
    clear_session_cookie(response, svc.web)
    return Written(position=written.position)


class Me(AccountView):
    csrf_token: str


@router.get("/me", response_model=Me, responses=responses(401))
def me(principal: CurrentWebUser, svc: AppServices) -> Me:
    """The logged-in account as it is now, and the CSRF token of this session."""
    view = account_view(principal.account)
    return Me(**view.model_dump(), csrf_token=csrf_token(svc, principal.token))
