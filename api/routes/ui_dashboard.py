"""Admin pages: the dashboard — cards, charts of the last 24 hours and of activations per day, and the
activity feed (live through app.js and /dashboard/stream)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import AppServices
from api.ui import i18n
from api.ui.charts import bar_chart
from api.ui.events import labels
from api.ui.pages import AdminPage, PageRoute
from api.ui.templating import gettext, locale_of, render
from domain.heartbeats import ONLINE_WINDOW
from projections import activity, dashboard

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
CHART_DAYS = 14
FEED_SIZE = 20


def figures(tx: Any, now: datetime, online: int) -> dict[str, Any]:
    return {
        **dashboard.stats(tx, now, online),
        "hourly": dashboard.hourly(tx, now, 24),
        "daily": dashboard.hourly(tx, now, 24 * CHART_DAYS),
        "feed": activity.recent(tx, limit=FEED_SIZE, before=None),
    }


def charts(request: Request, found: dict[str, Any]) -> dict[str, Any]:
    """The three charts as SVG: logins and failed logins per hour (24 h), activations per day."""
    hours = [row["hour"][-2:] for row in found["hourly"]]
    days: Counter[str] = Counter()
    for row in found["daily"]:
        days[row["hour"][5:10]] += row["activations"]
    return {
        "logins": bar_chart(
            gettext(request, "Logins per hour"), hours, [r["logins"] for r in found["hourly"]]
        ),
        "failed": bar_chart(
            gettext(request, "Failed logins per hour"),
            hours,
            [r["failed_logins"] for r in found["hourly"]],
            "bar failed",
        ),
        "activations": bar_chart(
            gettext(request, "Activations per day"), list(days), list(days.values()), "bar activations"
        ),
    }


@router.get("/", response_class=HTMLResponse)
def dashboard_page(request: Request, page: AdminPage, svc: AppServices) -> Response:
    """Cards, charts and the activity feed."""
    now = svc.clock()
    online = svc.presence.online_count(now - ONLINE_WINDOW)
    found = svc.reads.query(None, lambda tx: figures(tx, now, online))
    names = labels(i18n.translations(locale_of(request)).gettext)
    return render(
        request,
        "dashboard.html",
        csrf=page.csrf,
        stats=found,
        charts=charts(request, found),
        feed=found["feed"],
        labels=names,
        labels_json=json.dumps(names, ensure_ascii=False),
    )
