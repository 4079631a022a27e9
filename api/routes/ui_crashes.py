"""Admin pages: crashes — how many reports each application version has (a table and a chart), the
recent reports (filtered by version), and one report with its traceback and log tail, shown escaped as
the untrusted text they are."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api import lists
from api.deps import AppServices
from api.ui.charts import Chart, bar_chart
from api.ui.pages import AdminPage, PageRoute
from api.ui.templating import gettext, render
from domain.crash_report import MAX_APP_VERSION
from projections.crash_reports import CrashFilter
from projections.pages import Order

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
CHART_VERSIONS = 12
PAGE_SIZE = 25
NO_VERSION = "—"


def version_chart(request: Request, versions: list[dict[str, Any]]) -> Chart:
    """Reports per version, the versions first reported last (at most ``CHART_VERSIONS``)."""
    shown = versions[-CHART_VERSIONS:]
    return bar_chart(
        gettext(request, "Crash reports per application version"),
        [row["app_version"] or NO_VERSION for row in shown],
        [row["reports"] for row in shown],
        "bar failed",
    )


@router.get("/crashes", response_class=HTMLResponse)
def crashes_page(
    request: Request,
    page: AdminPage,
    svc: AppServices,
    app_version: Annotated[str, Query(max_length=MAX_APP_VERSION)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Crash counts per application version and the recent reports (of one version if chosen)."""
    version = app_version.replace("\x00", "")
    counted = lists.crash_counts(svc)
    found = lists.crash_reports_page(
        svc, CrashFilter(app_version=version or None), Order("reported_at", limit=PAGE_SIZE, cursor=cursor)
    )
    return render(
        request,
        "crashes.html",
        csrf=page.csrf,
        versions=counted["versions"],
        chart=version_chart(request, counted["versions"]),
        items=found.rows,
        names=lists.names_of(svc, found.rows, "account_id"),
        next_cursor=found.next_cursor,
        app_version=version,
    )


@router.get("/crashes/{crash_id}", response_class=HTMLResponse)
def crash_page(request: Request, crash_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """One report: who sent it, versions, platform, the summary, traceback and log tail."""
    report = svc.ledger.crash_report(crash_id).summary()
    named = lists.names_of(svc, [dict(report)], "account_id", "device_id")
    return render(request, "crash.html", csrf=page.csrf, report=report, names=named)
