"""Desktop downloads: what this device may download, a grant per download (rate limited, a ``Downloaded``
event), and the download itself — the grant, then the sealed file exactly as stored — resumable with
HTTP ``Range`` on the same grant. Entitlement is decided from the write model on every request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.byte_ranges import Span, requested
from api.deps import AppServices, ClientPrincipal, resolve_client, route_name
from api.problems import responses
from api.release_downloads import body, etag, grant_download, resumed
from api.schemas import Written
from domain.errors import NotEntitled
from domain.roles import Role, reaches
from domain.semver import parse_version
from projections import releases as release_model

router = APIRouter(prefix="/client/releases", tags=["desktop downloads"])
Label = Annotated[str | None, Query(max_length=32)]
OCTETS = "application/octet-stream"


def downloader(request: Request, svc: AppServices) -> ClientPrincipal:
    """A desktop client; a released device is told so (403 ``device_released``) rather than 401."""
    principal = resolve_client(request, svc, allow_released=True)
    if not principal.session.is_open:
        raise NotEntitled("device_released", "this device was released from the account")
    return principal


Downloader = Annotated[ClientPrincipal, Depends(downloader)]


class FileOut(BaseModel):
    id: str
    name: str
    size: int
    sha256: str


class ReleaseOut(BaseModel):
    id: str
    product: str
    channel: str
    platform: str
    version: str
    notes: str
    min_tier: str
    published_at: datetime | str
    files: list[FileOut]


class ReleaseList(BaseModel):
    tier: str
    releases: list[ReleaseOut]


class LedgerEntry(BaseModel):
    position: int
    leaf_index: int | None


class ReleaseDetail(ReleaseOut):
    published: LedgerEntry | None


class GrantOut(Written):
    grant_id: str
    url: str
    expires_at: datetime
    size: int
    grant_length: int
    release_id: str
    version: str
    file_id: str
    file_name: str
    file_size: int
    sha256: str
    device_id: str


def release_out(row: dict[str, object], files: list[dict[str, object]]) -> ReleaseOut:
    return ReleaseOut(
        id=str(row["id"]),
        product=str(row["product"]),
        channel=str(row["channel"]),
        platform=str(row["platform"]),
        version=str(row["version"]),
        notes=str(row["notes"]),
        min_tier=str(row["min_tier"]),
        published_at=str(row["published_at"]),
        files=[
            FileOut(id=str(f["id"]), name=str(f["name"]), size=int(str(f["size"])), sha256=str(f["sha256"]))
            for f in files
        ],
    )


@router.get("", response_model=ReleaseList, responses=responses(401, 403, 422))
def list_releases(
    principal: Downloader,
    svc: AppServices,
    product: Label = None,
    channel: Label = None,
    platform: Label = None,
) -> ReleaseList:
    """Published releases this account's license reaches, newest version first (403 with the license's
    code when it has no valid license)."""
    granted = svc.ledger.entitlement(principal.account.id, svc.clock())
    if not granted.state.valid or granted.tier is None:
        raise NotEntitled(granted.state.code or "no_license", "no valid license")
    f = release_model.ReleaseFilter(None, product, channel, platform)
    rows = svc.reads.query(None, lambda tx: release_model.published_releases(tx, f))
    reachable = [r for r in rows if reaches(granted.tier, Role(str(r["min_tier"])))]
    reachable.sort(key=lambda r: parse_version(str(r["version"])).precedence, reverse=True)
    return ReleaseList(tier=granted.tier.value, releases=[release_out(r, r["file_list"]) for r in reachable])


@router.get("/{release_id}", response_model=ReleaseDetail, responses=responses(401, 403, 404, 410, 422))
def get_release(release_id: UUID, principal: Downloader, svc: AppServices) -> ReleaseDetail:
    """One release this device may download, with where its publication sits in the ledger (its leaf
    index once sealed: ``/ledger/proofs/inclusion`` proves it is in a signed checkpoint)."""
    release, _ = svc.ledger.downloadable(
        principal.account.id, principal.claims.device_id, release_id, svc.clock()
    )
    history = svc.ledger_log.history(release_id)
    first = (
        LedgerEntry(position=int(history[0].event["position"]), leaf_index=history[0].leaf_index)
        if history
        else None
    )
    files = [FileOut(id=str(f.file_id), name=f.name, size=f.size, sha256=f.sha256) for f in release.files]
    return ReleaseDetail(
        id=str(release.id),
        product=release.product,
        channel=release.channel,
        platform=release.platform,
        version=release.release_version,
        notes=release.notes,
        min_tier=release.min_tier.value,
        published_at=release.created_on,
        files=files,
        published=first,
    )


@router.post(
    "/{release_id}/files/{file_id}/grants",
    status_code=201,
    response_model=GrantOut,
    responses=responses(401, 403, 404, 409, 410, 422, 429, 503),
)
def create_grant(
    release_id: UUID, file_id: UUID, principal: Downloader, request: Request, svc: AppServices
) -> GrantOut:
    """Grants one download of a file to this device: a ``Downloaded`` event, counted by the download limit
    (which fails closed: 503 when it cannot count). The download itself is ``url``."""
    granted = grant_download(
        svc, principal, release_id, file_id, route_name(request), principal.context(request)
    )
    file = granted.target.file
    return GrantOut(
        position=granted.position,
        grant_id=str(granted.grant_id),
        url=f"/client/releases/{release_id}/files/{file_id}/grants/{granted.grant_id}",
        expires_at=granted.expires_at,
        size=granted.size,
        grant_length=granted.grant_length,
        release_id=str(release_id),
        version=granted.target.release.release_version,
        file_id=str(file_id),
        file_name=file.name,
        file_size=file.size,
        sha256=file.sha256,
        device_id=str(principal.claims.device_id),
    )


@router.get(
    "/{release_id}/files/{file_id}/grants/{grant_id}",
    response_class=StreamingResponse,
    responses={
        **responses(401, 403, 404, 410, 416, 422),
        200: {"content": {OCTETS: {}}},
        206: {"content": {OCTETS: {}}},
    },
)
def download(
    release_id: UUID, file_id: UUID, grant_id: UUID, principal: Downloader, request: Request, svc: AppServices
) -> StreamingResponse:
    """The grant followed by the sealed file as stored (docs/file-format.md §5); ``Range`` (with
    ``If-Range``) resumes it. Reading a grant again records nothing: it is the same download."""
    grant, file = resumed(svc, principal, release_id, file_id, grant_id)
    total, tag = len(grant) + file.sealed_size, etag(grant_id)
    span = requested(request.headers.get("range"), request.headers.get("if-range"), tag, total)
    span = span or Span(0, total - 1, total)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": tag,
        "Content-Length": str(span.length),
        "Cache-Control": "private, no-transform",
        "Content-Disposition": f'attachment; filename="{file.name}.keyledger"',
    }
    if span.partial:
        headers["Content-Range"] = span.content_range()
    stream = body(svc.releases.files, grant, file, span)
    return StreamingResponse(
        stream, status_code=206 if span.partial else 200, media_type=OCTETS, headers=headers
    )
