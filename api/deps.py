"""Typed dependencies: the services, the audit context of a request, and who is calling.

Who is calling is decided from the write model on every request (session open, account not banned,
role as it is now), so logout, ban, revocation and role change apply to the very next request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from api.client_address import client_address, limit_key
from api.cookies import cookie_name
from api.fresh_state import client_state
from api.problems import ApiError
from api.services import Services
from api.tokens import AccessClaims, TokenRejected
from domain.account import Account
from domain.context import AuditContext
from domain.errors import DomainError
from domain.roles import Role
from domain.session import CloseReason, Session, SessionKind

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
UNKNOWN_ADDRESS = "unknown"  # every request with no usable address shares one window
MAX_USER_AGENT = 256


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


AppServices = Annotated[Services, Depends(services)]


def client_ip(request: Request) -> str | None:
    """The client's address: the socket peer, or behind a trusted proxy the nearest untrusted
    ``X-Forwarded-For`` hop; None if the peer is not an IP address."""
    proxies = request.app.state.services.proxies
    host = request.client.host if request.client else None
    return client_address(host, request.headers.get("x-forwarded-for"), proxies)


def route_name(request: Request) -> str:
    return str(getattr(request.scope.get("route"), "path", request.url.path))


def login_limits(request: Request, svc: Services, username: str) -> None:
    """The login windows (client address, account) — before any password is hashed."""
    ip = client_ip(request)
    account_id = svc.ledger.account_id_for(username)
    account = (
        str(account_id)
        if account_id
        else "unknown:" + svc.digests.digest("login-name", username.lower()[:64])
    )
    svc.limits.login(limit_key(ip) if ip else UNKNOWN_ADDRESS, account, route_name(request), svc.clock())


def audit_context(request: Request, actor: str, reason: str | None = None) -> AuditContext:
    return AuditContext(
        actor=actor,
        request_id=getattr(request.state, "request_id", ""),
        client_ip=client_ip(request),
        user_agent=(request.headers.get("user-agent") or "")[:MAX_USER_AGENT] or None,
        reason=reason,
    )


def unauthorized(code: str = "invalid_token", detail: str = "the access token is not valid") -> ApiError:
    return ApiError(401, code, detail, {"WWW-Authenticate": 'Bearer realm="keyledger"'})


@dataclass(frozen=True)
class ClientPrincipal:
    account: Account
    session: Session
    claims: AccessClaims
    suspended: frozenset[UUID] = frozenset()  # which of the account's licenses are suspended

    def context(self, request: Request) -> AuditContext:
        return audit_context(request, str(self.account.id))


def bearer_or_none(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("missing_token", "a bearer access token is required")
    return token.strip()


def resolve_client(request: Request, svc: Services, *, allow_released: bool = False) -> ClientPrincipal:
    now, token = svc.clock(), bearer_token(request)
    verified = getattr(request.state, "access_claims", None)  # checked by the gate for this very token
    try:
        claims = verified[1] if verified and verified[0] == token else svc.tokens.access_claims(token, now)
    except TokenRejected:
        raise unauthorized() from None
    ahead = getattr(request.state, "read_ahead", None) if verified and verified[0] == token else None
    state = client_state(svc.fresh, claims.session_id, claims.account_id, ahead)
    session, account = state.session, state.account
    if session is None or session.account_id != claims.account_id or session.device_id != claims.device_id:
        raise unauthorized()
    if account.is_banned(now):
        raise unauthorized("account_banned", "this account is banned")
    released = allow_released and session.closed_reason is CloseReason.DEVICE_RELEASED
    if not session.is_valid(now) and not released:
        raise unauthorized("session_closed", "this session has been closed")
    return ClientPrincipal(account, session, claims, state.suspended)


def client_principal(request: Request, svc: AppServices) -> ClientPrincipal:
    return resolve_client(request, svc)


CurrentClient = Annotated[ClientPrincipal, Depends(client_principal)]


@dataclass(frozen=True)
class WebPrincipal:
    account: Account
    session: Session
    token: str

    def context(self, request: Request, reason: str | None = None) -> AuditContext:
        return audit_context(request, str(self.account.id), reason)


def csrf_token(svc: Services, session_token: str) -> str:
    return svc.digests.digest("csrf", session_token)


def check_same_origin(request: Request) -> None:
    """A browser write must come from our own origin (Sec-Fetch-Site and Origin, when sent). Our origin is
    the configured public one (behind a TLS-terminating proxy), else the request's own scheme and host."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    public = request.app.state.services.web.public_origin
    own = {f"{request.url.scheme}://{request.url.netloc}"} if public is None else {public.rstrip("/")}
    if site not in (None, "same-origin", "none") or (origin is not None and origin not in own):
        raise ApiError(403, "csrf_failed", "cross-site request refused")


def check_csrf(request: Request, svc: Services, session_token: str) -> None:
    """Every cookie-authenticated write carries the session's CSRF token and comes from our own origin.
    The token comes in the X-CSRF-Token header, or for the admin pages' HTML forms in their hidden
    ``csrf_token`` field (parsed by ``api.ui.pages.page_form`` before this runs); either way it is
    compared in constant time with the session's own token."""
    check_same_origin(request)
    given = request.headers.get("x-csrf-token") or str(getattr(request.state, "form_csrf_token", ""))
    if not given.isascii() or not svc.digests.same(given, csrf_token(svc, session_token)):
        raise ApiError(403, "csrf_failed", "missing or wrong X-CSRF-Token header")


def web_principal(request: Request, svc: AppServices) -> WebPrincipal:
    token = request.cookies.get(cookie_name(svc.web))
    if not token:
        raise ApiError(401, "not_authenticated", "log in first")
    now = svc.clock()
    try:
        session = svc.ledger.session_for_token(token, now)
    except DomainError:
        raise ApiError(401, "session_closed", "this session has ended; log in again") from None
    if session.kind is not SessionKind.WEB:  # a desktop refresh token is not a web session
        raise ApiError(401, "session_closed", "this session has ended; log in again")
    account = svc.ledger.account(session.account_id)
    if account.is_banned(now):
        raise ApiError(401, "account_banned", "this account is banned")
    if request.method not in SAFE_METHODS:
        check_csrf(request, svc, token)
    return WebPrincipal(account, session, token)


CurrentWebUser = Annotated[WebPrincipal, Depends(web_principal)]


def admin_principal(principal: CurrentWebUser) -> WebPrincipal:
    if principal.account.role is not Role.ADMIN:
        raise ApiError(403, "forbidden", "this needs the admin role")
    return principal


CurrentAdmin = Annotated[WebPrincipal, Depends(admin_principal)]
