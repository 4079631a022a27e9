"""What every UI page shares: who may see it, its form, its CSRF token, and how refusals look.

A browser (``Accept: text/html``) that is not logged in is sent to the login page (303) and sees other
refusals as an HTML page in its language; any other client gets the API's problem documents (401, 403,
404), so the authorization matrix reads the UI like the JSON API."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from api.deps import AppServices, WebPrincipal, admin_principal, csrf_token, web_principal
from api.problems import ApiError
from api.ui.templating import render
from domain.errors import DomainError, NotFound

LOGIN = "/ui/login"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def refusal(request: Request, status: int, code: str) -> Response:
    if status == 401:
        target = LOGIN + ("?next=" + quote(request.url.path) if request.method == "GET" else "")
        return RedirectResponse(target, status_code=303)
    return render(request, "error.html", status_code=status, status=status, code=code)


class PageRoute(APIRoute):
    """Routes of the UI: refusals become a login redirect or an HTML page for browsers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as error:
                if not wants_html(request):
                    raise
                return refusal(request, error.status, error.code)
            except NotFound as error:
                if not wants_html(request):
                    raise
                return refusal(request, 404, error.code)

        return page


async def page_form(request: Request) -> FormData:
    """The submitted form (empty for a GET). Its ``csrf_token`` field is what ``check_csrf`` compares
    when no X-CSRF-Token header is sent."""
    if request.method == "GET" or request.headers.get("content-type", "").split(";")[0] not in FORM_TYPES:
        return FormData()
    form = await request.form()
    request.state.form_csrf_token = str(form.get("csrf_token") or "")
    return form


Form = Annotated[FormData, Depends(page_form)]


@dataclass
class Page:
    """The logged-in admin, the CSRF token for the page's forms, and the submitted form."""

    admin: WebPrincipal
    csrf: str
    form: FormData
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return str(self.form.get(name) or "").strip()

    @property
    def confirmed(self) -> bool:
        return self.form.get("confirmed") == "yes"


def ui_admin(request: Request, svc: AppServices, form: Form) -> Page:
    admin = admin_principal(web_principal(request, svc))
    return Page(admin, csrf_token(svc, admin.token), form)


AdminPage = Annotated[Page, Depends(ui_admin)]


def done(target: str) -> RedirectResponse:
    """After a write: back to a page (post/redirect/get)."""
    return RedirectResponse(target, status_code=303)


def confirm(request: Request, page: Page, message: str, back: str) -> Response:
    """The confirmation page of a destructive action (what app.js's dialog does, without script)."""
    kept = [(k, str(v)) for k, v in page.form.multi_items() if k not in ("csrf_token", "confirmed")]
    return render(
        request,
        "confirm.html",
        csrf=page.csrf,
        message=message,
        action=request.url.path,
        kept=kept,
        back=back,
    )


def domain_error(error: DomainError) -> str:
    """The message key of a domain error shown next to a field (translated by the template)."""
    return error.code
