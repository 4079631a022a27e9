"""Admin: crash reports — the list (filters, sort, cursor), the counts per application version (and per
client version and kind), and one report whole, traceback and log tail included."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api import lists
from api.deps import AppServices
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import responses
from api.schemas import MAX_POSITION, NO_NUL
from domain.crash_report import MAX_APP_VERSION, MAX_CLIENT_VERSION, CrashReport
from projections.crash_reports import CrashFilter

router = APIRouter(prefix="/admin/crash-reports", tags=["admin: crash reports"])


class CrashReportView(BaseModel):
    """One report as the ledger holds it. The free text is the client's, redacted by it: untrusted."""

    id: str
    report_id: str
    reported_at: datetime
    occurred_at: datetime
    account_id: str
    device_id: str
    session_id: str
    client_version: str
    app_version: str | None
    platform: str
    python: str
    kind: str
    summary: str
    traceback: str
    log_tail: str


class VersionCount(BaseModel):
    app_version: str | None
    reports: int
    exceptions: int
    faults: int
    first_at: datetime
    last_at: datetime


class KindCount(BaseModel):
    app_version: str | None
    client_version: str
    kind: str
    reports: int
    last_at: datetime


class CrashCounts(BaseModel):
    versions: list[VersionCount] = Field(description="per application version, the first reported first")
    counts: list[KindCount] = Field(description="per application version, client version and kind")


def crash_report_view(report: CrashReport) -> CrashReportView:
    return CrashReportView.model_validate(report.summary())


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_crash_reports(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    app_version: Annotated[str | None, Query(max_length=MAX_APP_VERSION, pattern=NO_NUL)] = None,
    client_version: Annotated[str | None, Query(max_length=MAX_CLIENT_VERSION, pattern=NO_NUL)] = None,
    kind: Literal["exception", "fault"] | None = None,
    account_id: UUID | None = None,
    device_id: UUID | None = None,
    sort: Literal["reported_at", "occurred_at", "app_version", "client_version"] = "reported_at",
) -> ListPage:
    """Reports from the read model (without traceback and log tail), by application version, client
    version, kind, account or device; sorted; cursor pagination."""
    f = CrashFilter(
        app_version=app_version,
        client_version=client_version,
        kind=kind,
        account_id=str(account_id) if account_id else None,
        device_id=str(device_id) if device_id else None,
    )
    return page_of(lists.crash_reports_page(svc, f, params.cut(sort), params.position))


@router.get("/counts", response_model=CrashCounts, responses=responses(401, 403, 422, 503))
def crash_counts(
    admin: CurrentAdmin,
    svc: AppServices,
    position: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="wait until the read models include this")
    ] = None,
) -> CrashCounts:
    """How many reports each application version has (exceptions and faults apart), and the counts per
    application version, client version and kind."""
    return CrashCounts.model_validate(lists.crash_counts(svc, position))


@router.get("/{crash_id}", response_model=CrashReportView, responses=responses(401, 403, 404, 422))
def get_crash_report(crash_id: UUID, admin: CurrentAdmin, svc: AppServices) -> CrashReportView:
    """One report as the ledger holds it, its traceback and log tail included."""
    return crash_report_view(svc.ledger.crash_report(crash_id))
