"""Admin pages: the dashboard — cards (refreshed by app.js from /ui/cards), license figures and the keys
about to run out, charts of the last 24 hours and of activations per day, and the activity feed (live:
app.js fetches each new entry from /ui/feed, drawn by the same template as the page's entries)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import AppServices
from api.schemas import MAX_POSITION
from api.services import Services
from api.ui.charts import Chart, bar_chart
from api.ui.pages import AdminPage, PageRoute
from api.ui.templating import fragment, gettext, locale_of, reader, render
from domain.heartbeats import ONLINE_WINDOW
from projections import activity, dashboard, licenses, names
from projections.base import text_time
from projections.store import Tx

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
CHART_DAYS = 14
FEED_SIZE = 20
SOON = timedelta(days=7)
EXPIRING_SHOWN = 10


def card_figures(tx: Tx, now: datetime, online: int) -> dict[str, Any]:
    """The cards: the dashboard's figures, the license figures and the keys about to run out (named)."""
    at, soon = text_time(now), text_time(now + SOON)
    ending = licenses.expiring(tx, at, soon, EXPIRING_SHOWN)
    return {
        **dashboard.stats(tx, now, online),
        "licenses": licenses.figures(tx, at, soon),
        "expiring": ending,
        "names": names.of_rows(tx, ending, "account_id"),
    }


def cards(svc: Services) -> dict[str, Any]:
    now = svc.clock()
    online = svc.presence.online_count(now - ONLINE_WINDOW)
    return svc.reads.query(None, lambda tx: card_figures(tx, now, online))


def feed(tx: Tx, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Feed entries with the names of their objects and actors."""
    actors = [str(e["actor"] or "").removeprefix("api-key:") for e in entries]
    return {"feed": entries, "names": names.lookup(tx, [*(e["aggregate_id"] for e in entries), *actors])}


def series(tx: Tx, now: datetime) -> dict[str, Any]:
    return {
        "hourly": dashboard.hourly(tx, now, 24),
        "daily": dashboard.hourly(tx, now, 24 * CHART_DAYS),
        **feed(tx, activity.recent(tx, limit=FEED_SIZE, before=None)),
    }


def local_hour(hour: str, zone: tzinfo) -> str:
    return datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC).astimezone(zone).strftime("%H")


def charts(request: Request, found: dict[str, Any]) -> dict[str, Chart]:
    """Logins and failed logins per hour (24 h, hours of the reader's zone), activations per day."""
    zone, locale = reader(request)["zone"], locale_of(request)
    hours = [local_hour(row["hour"], zone) for row in found["hourly"]]
    days: Counter[str] = Counter()
    for row in found["daily"]:
        day = datetime.strptime(row["hour"][:10], "%Y-%m-%d")
        days[format_date(day, "M/d", locale=locale)] += row["activations"]
    hourly = found["hourly"]
    return {
        "logins": bar_chart(gettext(request, "Logins per hour"), hours, [r["logins"] for r in hourly]),
        "failed": bar_chart(
            gettext(request, "Failed logins per hour"),
            hours,
            [r["failed_logins"] for r in hourly],
            "bar failed",
        ),
        "activations": bar_chart(
            gettext(request, "Activations per day"), list(days), list(days.values()), "bar activations"
        ),
    }


@router.get("/", response_class=HTMLResponse)
def dashboard_page(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Cards, charts and the activity feed."""
    found = svc.reads.query(None, lambda tx: series(tx, svc.clock()))
    return render(
        request,
        "dashboard.html",
        csrf=page.csrf,
        stats=cards(svc),
        charts=charts(request, found),
        feed=found["feed"],
        names=found["names"],
    )


@router.get("/cards", response_class=HTMLResponse)
def cards_fragment(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """The dashboard's cards alone, for app.js to put in place when the ledger moves."""
    stats = cards(svc)
    return HTMLResponse(fragment(request, "cards.html", stats=stats, names=stats["names"]))


@router.get("/feed", response_class=HTMLResponse)
def feed_fragment(
    request: Request,
    page: AdminPage,
    svc: AppServices,
    position: Annotated[int, Query(ge=1, le=MAX_POSITION)],
) -> Response:
    """One activity entry (the one at ``position``), drawn as the dashboard draws its entries."""
    found = svc.reads.query(None, lambda tx: feed(tx, activity.after(tx, position - 1, 1)))
    entries = [e for e in found["feed"] if e["position"] == position]
    html = "".join(fragment(request, "feed_entry.html", entry=e, names=found["names"]) for e in entries)
    return HTMLResponse(html)
