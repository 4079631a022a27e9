"""Jinja2 environments (one per language) and the page renderer every UI router uses."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from api.ui import i18n, times
from api.ui.enums import label
from api.ui.i18n import N_

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
NAV = (
    ("/ui/", N_("Dashboard")),
    ("/ui/users", N_("Users")),
    ("/ui/licenses", N_("Licenses")),
    ("/ui/devices", N_("Devices")),
    ("/ui/releases", N_("Releases")),
    ("/ui/sessions", N_("Sessions")),
    ("/ui/ip-blocks", N_("IP blocks")),
    ("/ui/crashes", N_("Crashes")),
    ("/ui/audit", N_("Audit")),
    ("/ui/alerts", N_("Alerts")),
    ("/ui/webhooks", N_("Webhooks")),
    ("/ui/api-keys", N_("API keys")),
)


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    gettext = i18n.translations(locale).gettext

    @pass_context
    def moment(context: Context, value: Any) -> Markup:
        return times.moment(value, locale, context["zone"], context["now"])

    env.filters["moment"] = moment
    env.filters["label"] = lambda value, group: label(gettext, value, group)
    env.filters["number"] = lambda value: i18n.number(value, locale)
    env.globals.update(locale=locale, nav=NAV, locales=i18n.LOCALES)
    return env


def locale_of(request: Request) -> str:
    return i18n.choose(request.cookies.get(i18n.LANG_COOKIE))


def gettext(request: Request, message: str) -> str:
    return i18n.translations(locale_of(request)).gettext(message)


def reader(request: Request) -> dict[str, Any]:
    """What every page's times need: the reader's zone and the time now."""
    return {
        "zone": times.zone_of(request.cookies.get(times.TZ_COOKIE)),
        "now": request.app.state.services.clock(),
    }


def fragment(request: Request, template: str, **context: Any) -> str:
    """``template`` rendered alone (a piece of a page that script puts in place)."""
    page = environment(locale_of(request)).get_template(template)
    return page.render(path=request.url.path, query="", **reader(request), **context)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` in the reader's language, with the request's path (for the navigation)."""
    page = environment(locale_of(request)).get_template(template)
    html = page.render(path=request.url.path, query=str(request.url.query), **reader(request), **context)
    # Browsers send "Origin: null" from a no-referrer page's forms; same-origin keeps the real Origin for
    # our own forms (which check_csrf compares) and still sends nothing to other sites.
    return HTMLResponse(html, status_code=status_code, headers={"Referrer-Policy": "same-origin"})
