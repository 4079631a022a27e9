"""A download: granted once (entitlement from the write model, the download limit, a grant sealed to the
device's key, the ``Downloaded`` event), then read as often as the client needs — the grant followed by
the sealed file exactly as stored, any byte range of it, until the grant expires."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from api.byte_ranges import Span
from api.deps import ClientPrincipal
from api.release_files import ReleaseFiles
from api.services import Services
from domain.context import AuditContext
from domain.errors import NotFound
from domain.ledger.downloads import DownloadTarget
from domain.release import ReleaseFile


@dataclass(frozen=True)
class Granted:
    grant_id: UUID
    position: int | None
    target: DownloadTarget
    grant_length: int
    expires_at: datetime

    @property
    def size(self) -> int:
        return self.grant_length + self.target.file.sealed_size


def grant_download(
    svc: Services, principal: ClientPrincipal, release_id: UUID, file_id: UUID, route: str, ctx: AuditContext
) -> Granted:
    """Checks entitlement, takes one download from the account's limit, seals a grant and records the
    ``Downloaded`` event (the grant is forgotten if the event cannot be written)."""
    now, account_id, device_id = svc.clock(), principal.account.id, principal.claims.device_id
    target = svc.ledger.download_target(account_id, device_id, release_id, file_id, now)
    svc.limits.download(str(account_id), route, now)
    grant_id = svc.ledger.new_id()
    expires_at = (now + svc.releases.grant_lifetime).replace(microsecond=0)
    files = svc.releases.files
    key = bytes.fromhex(target.device_key)
    grant = files.make_grant(grant_id, file_id, target.release.release_version, device_id, key, expires_at)
    promised = len(grant) + target.file.sealed_size
    try:
        written = svc.ledger.record_download(
            grant_id, account_id, device_id, release_id, file_id, promised, expires_at, now, ctx
        )
    except BaseException:
        files.forget_grant(grant_id)
        raise
    return Granted(grant_id, written.position, target, len(grant), expires_at)


def resumed(
    svc: Services, principal: ClientPrincipal, release_id: UUID, file_id: UUID, grant_id: UUID
) -> tuple[bytes, ReleaseFile]:
    """The grant and file of a download this device may go on reading (entitlement holds still)."""
    target = svc.ledger.resumable(grant_id, principal.account.id, principal.claims.device_id, svc.clock())
    grant = svc.releases.files.grant(grant_id)
    if (target.release.id, target.file.file_id) != (release_id, file_id) or grant is None:
        raise NotFound("download", grant_id)
    return grant, target.file


def body(files: ReleaseFiles, grant: bytes, file: ReleaseFile, span: Span) -> Iterator[bytes]:
    """Bytes ``span`` of grant ‖ sealed file, streamed from the blob store."""
    if span.start < len(grant):
        yield grant[span.start : min(span.end + 1, len(grant))]
    if span.end >= len(grant):
        offset = max(0, span.start - len(grant))
        yield from files.read(file.blob, offset, span.end + 1 - len(grant) - offset)


def etag(grant_id: UUID) -> str:
    return f'"{grant_id.hex}"'
