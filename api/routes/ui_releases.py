"""Admin pages: releases — upload (a form streamed straight into the sealing pipeline), the list with
downloads per day, one release with its files and downloads, and withdraw or publish again (each asks
first)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import AppServices, csrf_token
from api.problems import ApiError
from api.release_form import WebUploadForm, publish_form
from api.request_body import in_thread
from api.services import Services
from api.ui.charts import bar_chart
from api.ui.i18n import N_
from api.ui.pages import AdminPage, Page, PageRoute, confirm, done
from api.ui.templating import gettext, render
from domain.errors import DomainError
from projections import releases as release_model
from projections.pages import Order

router = APIRouter(prefix="/ui", tags=["admin pages"], route_class=PageRoute)
CHART_DAYS = 30
ACTIONS = {
    "withdraw": N_("Withdraw release %(version)s? No new download is granted and running ones stop."),
    "republish": N_("Publish release %(version)s again?"),
}


def chart(request: Request, series: list[tuple[str, int]]) -> Any:
    title = gettext(request, "Downloads per day")
    return bar_chart(title, [day[5:] for day, _ in series], [n for _, n in series], "bar downloads")


def release_list(
    request: Request, svc: Services, csrf: str, status: str, cursor: str | None, error: str | None = None
) -> Response:
    now: datetime = svc.clock()
    f = release_model.ReleaseFilter(status=status or None)

    def read(tx: Any) -> tuple[Any, list[tuple[str, int]]]:
        page = release_model.list_releases(tx, f, Order("published_at", limit=25, cursor=cursor))
        return page, release_model.daily_downloads(tx, None, now, CHART_DAYS)

    found, series = svc.reads.query(None, read)
    return render(
        request,
        "releases.html",
        status_code=200 if error is None else 422,
        csrf=csrf,
        items=found.rows,
        next_cursor=found.next_cursor,
        status=status,
        chart=chart(request, series),
        error=error,
    )


@router.get("/releases", response_class=HTMLResponse)
def releases_page(
    request: Request,
    page: AdminPage,
    svc: AppServices,
    status: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Releases, newest first, with the upload form and downloads per day."""
    return release_list(request, svc, page.csrf, status if status in release_model.STATUSES else "", cursor)


@router.post("/releases", response_class=HTMLResponse)
async def upload(request: Request, form: WebUploadForm, svc: AppServices) -> Response:
    """Publishes a release from the upload form; back to the list with the reason if refused."""
    ctx = form.admin.context(request)
    try:
        written = await in_thread(
            form.stream, lambda body: publish_form(svc, body, form.boundary, ctx), form.first
        )
    except (DomainError, ApiError) as error:
        csrf = csrf_token(svc, form.admin.token)
        return await anyio.to_thread.run_sync(release_list, request, svc, csrf, "", None, error.code)
    return done(f"/ui/releases/{written.value}")


@router.get("/releases/{release_id}", response_class=HTMLResponse)
def release_page(request: Request, release_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """One release: its files with their SHA-256, downloads per file and per day, and its actions."""
    release = svc.ledger.release(release_id)
    now: datetime = svc.clock()

    def read(tx: Any) -> tuple[dict[str, Any], list[tuple[str, int]]]:
        files = release_model.files_of(tx, [str(release_id)])[str(release_id)]
        return {f["id"]: f["downloads"] for f in files}, release_model.daily_downloads(
            tx, str(release_id), now, CHART_DAYS
        )

    downloads, series = svc.reads.query(None, read)
    return render(
        request,
        "release.html",
        csrf=page.csrf,
        release=release,
        downloads=downloads,
        chart=chart(request, series),
        errors=page.errors,
    )


def change(request: Request, release_id: UUID, action: str, page: Page, svc: Services) -> Response:
    """Withdraws or publishes again once confirmed (a withdrawal needs a reason); asks first."""
    release = svc.ledger.release(release_id)
    reason = page.text("reason") or None
    if not page.confirmed:
        message = gettext(request, ACTIONS[action]) % {"version": release.release_version}
        return confirm(request, page, message, f"/ui/releases/{release_id}")
    command = svc.ledger.withdraw_release if action == "withdraw" else svc.ledger.republish_release
    try:
        command(release_id, svc.clock(), page.admin.context(request, reason))
    except DomainError as error:
        page.errors[action] = error.code
        return release_page(request, release_id, page, svc)
    return done(f"/ui/releases/{release_id}")


@router.post("/releases/{release_id}/withdraw", response_class=HTMLResponse)
def withdraw(request: Request, release_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Withdraws (yanks) a release, with a reason (asks first)."""
    return change(request, release_id, "withdraw", page, svc)


@router.post("/releases/{release_id}/republish", response_class=HTMLResponse)
def republish(request: Request, release_id: UUID, page: AdminPage, svc: AppServices) -> Response:
    """Publishes a withdrawn release again (asks first)."""
    return change(request, release_id, "republish", page, svc)
