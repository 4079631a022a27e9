"""Admin: releases — upload and publish (a streamed multipart form, or one file as a raw body), list,
read, withdraw with a reason, publish again, and downloads per day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from api.deps import AppServices
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import ApiError, responses
from api.release_form import FORM_SCHEMA, UploadForm, publish_form
from api.release_uploads import ReleaseDraft, Staged, check_new
from api.request_body import in_thread
from api.schemas import Body, Reason, Written
from api.services import Services
from domain.release import Release
from projections import releases as release_model

router = APIRouter(prefix="/admin/releases", tags=["admin: releases"])
ERRORS = responses(401, 403, 404, 409, 422)
UPLOAD_ERRORS = responses(401, 403, 409, 413, 415, 422)
Label = Annotated[str, Query(min_length=1, max_length=32)]
RAW_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class FileView(BaseModel):
    id: str
    name: str
    size: int
    sha256: str


class ReleaseView(BaseModel):
    id: str
    product: str
    channel: str
    platform: str
    version: str
    notes: str
    min_tier: str
    status: str
    withdraw_reason: str | None
    files: list[FileView]


class ReleaseWritten(Written):
    release: ReleaseView


class Withdraw(Body):
    reason: Reason


class Republish(Body):
    reason: Reason | None = None


class DailyDownloads(BaseModel):
    days: list[str]
    downloads: list[int]


def release_view(release: Release) -> ReleaseView:
    return ReleaseView(
        id=str(release.id),
        product=release.product,
        channel=release.channel,
        platform=release.platform,
        version=release.release_version,
        notes=release.notes,
        min_tier=release.min_tier.value,
        status="withdrawn" if release.withdrawn else "published",
        withdraw_reason=release.withdraw_reason,
        files=[FileView(id=str(f.file_id), name=f.name, size=f.size, sha256=f.sha256) for f in release.files],
    )


def _written(svc: Services, release_id: UUID, position: int | None) -> ReleaseWritten:
    return ReleaseWritten(position=position, release=release_view(svc.ledger.release(release_id)))


@router.post(
    "", status_code=201, response_model=ReleaseWritten, responses=UPLOAD_ERRORS, openapi_extra=FORM_SCHEMA
)
async def publish(upload: UploadForm, request: Request, svc: AppServices) -> ReleaseWritten:
    """Publishes a release from a ``multipart/form-data`` body: its fields, then one or more ``file``
    parts, each sealed as it streams in (nothing is buffered or spooled). A failed or refused upload
    leaves no release and no stored file."""
    ctx = upload.admin.context(request)
    written = await in_thread(
        upload.stream, lambda body: publish_form(svc, body, upload.boundary, ctx), upload.first
    )
    return await anyio.to_thread.run_sync(_written, svc, written.value, written.position)


@router.post(
    "/upload",
    status_code=201,
    response_model=ReleaseWritten,
    responses=UPLOAD_ERRORS,
    openapi_extra=RAW_SCHEMA,
)
async def publish_one(
    admin: CurrentAdmin,
    request: Request,
    svc: AppServices,
    version: Annotated[str, Query(min_length=1, max_length=64)],
    channel: Label,
    platform: Label,
    filename: Annotated[str, Query(min_length=1, max_length=128)],
    product: Annotated[str, Query(max_length=32)] = "",
    notes: Annotated[str, Query(max_length=2000)] = "",
    min_tier: Literal["user", "vip"] = "user",
) -> ReleaseWritten:
    """Publishes a one-file release from a raw ``application/octet-stream`` body, streamed."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/octet-stream":
        raise ApiError(415, "unsupported_media_type", "send the file as application/octet-stream")
    fields = {"version": version, "channel": channel, "platform": platform, "product": product}
    draft = ReleaseDraft.of({**fields, "notes": notes, "min_tier": min_tier})
    await anyio.to_thread.run_sync(check_new, svc.ledger, draft)
    ctx = admin.context(request)

    def store(body: Iterator[bytes]) -> tuple[UUID, int | None]:
        with Staged(svc.releases.files, svc.ledger.new_id, svc.releases.max_upload_bytes) as staged:
            staged.add(filename, body)
            written = staged.publish(svc.ledger, draft, svc.clock(), ctx)
        return written.value, written.position

    release_id, position = await in_thread(request.stream(), store)
    return await anyio.to_thread.run_sync(_written, svc, release_id, position)


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_releases(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    status: Literal["published", "withdrawn"] | None = None,
    product: Annotated[str | None, Query(max_length=32)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    platform: Annotated[str | None, Query(max_length=32)] = None,
    sort: Literal["published_at", "version", "downloads"] = "published_at",
) -> ListPage:
    """Releases from the read model with their download counts: filter, sort, cursor pagination."""
    f = release_model.ReleaseFilter(status, product, channel, platform)
    return page_of(
        svc.reads.query(params.position, lambda tx: release_model.list_releases(tx, f, params.cut(sort)))
    )


@router.get("/{release_id}", response_model=ReleaseView, responses=responses(401, 403, 404, 422))
def get_release(release_id: UUID, admin: CurrentAdmin, svc: AppServices) -> ReleaseView:
    """One release as the ledger holds it now."""
    return release_view(svc.ledger.release(release_id))


@router.get("/{release_id}/downloads", response_model=DailyDownloads, responses=responses(401, 403, 404, 422))
def downloads(
    release_id: UUID,
    admin: CurrentAdmin,
    svc: AppServices,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> DailyDownloads:
    """Granted downloads of a release per day (UTC), oldest first."""
    svc.ledger.release(release_id)
    now: datetime = svc.clock()
    found = svc.reads.query(None, lambda tx: release_model.daily_downloads(tx, str(release_id), now, days))
    return DailyDownloads(days=[d for d, _ in found], downloads=[n for _, n in found])


@router.post("/{release_id}/withdraw", response_model=ReleaseWritten, responses=ERRORS)
def withdraw(
    release_id: UUID, body: Withdraw, admin: CurrentAdmin, request: Request, svc: AppServices
) -> ReleaseWritten:
    """Withdraws (yanks) a release: no new download is granted, running ones stop."""
    written = svc.ledger.withdraw_release(release_id, svc.clock(), admin.context(request, body.reason))
    return _written(svc, release_id, written.position)


@router.post("/{release_id}/republish", response_model=ReleaseWritten, responses=ERRORS)
def republish(
    release_id: UUID, body: Republish, admin: CurrentAdmin, request: Request, svc: AppServices
) -> ReleaseWritten:
    """Publishes a withdrawn release again."""
    written = svc.ledger.republish_release(release_id, svc.clock(), admin.context(request, body.reason))
    return _written(svc, release_id, written.position)
