"""Admin pages: log in and out, and the language switch (remembered in a cookie)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.cookies import clear_session_cookie, set_session_cookie
from api.deps import AppServices, WebPrincipal, audit_context, check_same_origin, client_ip, login_limits
from api.deps import web_principal as web_session
from api.ui import i18n
from api.ui.pages import LOGIN, Form, PageRoute, done
from api.ui.templating import render
from domain.errors import AuthenticationFailed
from domain.roles import Role
from domain.session import CloseReason, SessionKind

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
LANG_MAX_AGE = 365 * 24 * 3600


def local_target(target: str | None) -> str:
    """Only our own pages are followed after a login or a language switch."""
    if target and target.startswith("/ui") and "//" not in target and "\\" not in target:
        return target
    return "/ui/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next_page: Annotated[str | None, Query(alias="next")] = None) -> Response:
    """The login form, with the language switch."""
    return render(request, "login.html", target=local_target(next_page), errors={}, username="")


def signed_in(request: Request, svc: AppServices, username: str, password: str) -> str | None:
    """Opens a web session for an admin and sets its cookie on ``request.state``; else the error key."""
    now = svc.clock()
    ip = client_ip(request)
    if ip is not None and svc.ledger.is_blocked(ip, now):
        return "ip_blocked"
    login_limits(request, svc, username)
    try:
        account = svc.ledger.authenticate(username, password, now, audit_context(request, "anonymous"))
    except AuthenticationFailed:
        return "invalid_credentials"
    if account.role is not Role.ADMIN:
        return "not_admin"
    opened = svc.ledger.open_session(
        account.id, SessionKind.WEB, None, now, audit_context(request, str(account.id))
    )
    request.state.opened = (opened.value.token, int((opened.value.expires_at - now).total_seconds()))
    return None


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, svc: AppServices, form: Form) -> Response:
    """Checks the credentials; an admin gets the session cookie and goes on to the page it asked for."""
    check_same_origin(request)
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    target = local_target(str(form.get("next") or ""))
    errors = {
        name: "required" for name, value in (("username", username), ("password", password)) if not value
    }
    if not errors and len(username) <= 64 and len(password) <= 1024:
        failure = signed_in(request, svc, username, password)
        if failure is None:
            token, max_age = request.state.opened
            response = done(target)
            set_session_cookie(response, svc.web, token, max_age)
            return response
        errors["password"] = failure
    errors = errors or {"password": "invalid_credentials"}
    return render(request, "login.html", target=target, errors=errors, username=username[:64])


def any_session(request: Request, svc: AppServices, form: Form) -> WebPrincipal:
    return web_session(request, svc)


@router.post("/logout", response_class=HTMLResponse)
def logout(
    request: Request, svc: AppServices, who: Annotated[WebPrincipal, Depends(any_session)]
) -> Response:
    """Closes this web session and returns to the login page."""
    svc.ledger.close_session(who.session.id, CloseReason.LOGOUT, svc.clock(), who.context(request))
    response = RedirectResponse(LOGIN, status_code=303)
    clear_session_cookie(response, svc.web)
    return response


@router.get("/language", response_class=HTMLResponse)
def language(
    lang: Annotated[str, Query(max_length=8)] = i18n.DEFAULT_LOCALE,
    next_page: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """Switches the pages' language (Korean or English) and remembers it in a cookie."""
    response = done(local_target(next_page or LOGIN))
    response.set_cookie(
        i18n.LANG_COOKIE, i18n.choose(lang), max_age=LANG_MAX_AGE, path="/", samesite="lax", httponly=True
    )
    return response
