"""Publishing a release from uploaded files: the metadata is checked before the first byte is stored,
each file is sealed as it streams in (constant memory, a size cap), and the release event is written
only when every file is stored. Whatever fails before that — a broken-off or refused upload, a bad
field, a version published meanwhile — discards every file stored so far: no release, no stray blob."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from uuid import UUID

from api.problems import ApiError
from api.release_files import ReleaseFiles
from domain.context import AuditContext
from domain.errors import InvalidInput, ReleaseExists
from domain.index import IndexEntry, IndexKind
from domain.ledger.base import Written
from domain.ledger.releases import release_key
from domain.ledger.service import Ledger
from domain.release import ReleaseFile, check_file_name, check_label, check_notes
from domain.roles import Role, parse_tier

UPLOAD_PATHS = ("/admin/releases", "/admin/releases/upload", "/ui/releases")
DEFAULT_PRODUCT = "main"


@dataclass(frozen=True)
class ReleaseDraft:
    """What an upload says about its release, checked before any file is stored."""

    channel: str
    platform: str
    version: str
    product: str = DEFAULT_PRODUCT
    notes: str = ""
    min_tier: Role = Role.USER

    @classmethod
    def of(cls, fields: Mapping[str, str]) -> ReleaseDraft:
        """A draft from form or query fields (``InvalidInput`` names the first bad one)."""
        draft = cls(
            channel=check_label("channel", fields.get("channel", "")),
            platform=check_label("platform", fields.get("platform", "")),
            version=fields.get("version", ""),
            product=check_label("product", fields.get("product") or DEFAULT_PRODUCT),
            notes=check_notes(fields.get("notes", "")),
            min_tier=parse_tier(fields.get("min_tier") or Role.USER.value),
        )
        release_key(draft.product, draft.channel, draft.platform, draft.version)  # checks the version
        return draft


def check_new(ledger: Ledger, draft: ReleaseDraft) -> None:
    """Refuses a release that is already published, before its files are uploaded for nothing."""
    key = release_key(draft.product, draft.channel, draft.platform, draft.version)
    if ledger.find(IndexEntry, ledger.index_id(IndexKind.RELEASE, key)) is not None:
        raise ReleaseExists(f"{draft.product} {draft.version} for {draft.channel}/{draft.platform} exists")


def capped(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """``chunks`` until more than ``limit`` bytes have passed: then 413."""
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            raise ApiError(413, "body_too_large", f"uploads are limited to {limit} bytes")
        yield chunk


class Staged:
    """Files stored for one release; discarded on leaving the ``with`` block unless it was published."""

    def __init__(self, files: ReleaseFiles, new_id: Callable[[], UUID], limit: int) -> None:
        self._files, self._new_id, self._left = files, new_id, limit
        self.stored: list[ReleaseFile] = []
        self._published = False

    def add(self, name: str, plaintext: Iterable[bytes]) -> ReleaseFile:
        check_file_name(name)
        if any(f.name == name for f in self.stored):
            raise InvalidInput("files", f"two files named {name!r}")
        stored = self._files.store(self._new_id(), name, capped(plaintext, self._left))
        self.stored.append(stored)
        self._left -= stored.size
        return stored

    def publish(self, ledger: Ledger, draft: ReleaseDraft, now: datetime, ctx: AuditContext) -> Written[UUID]:
        written = ledger.publish_release(
            draft.product,
            draft.channel,
            draft.platform,
            draft.version,
            draft.notes,
            draft.min_tier,
            self.stored,
            now,
            ctx,
        )
        self._published = True
        return written

    def __enter__(self) -> Staged:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, _: BaseException | None, __: TracebackType | None
    ) -> None:
        if not self._published:
            for stored in self.stored:
                self._files.discard(stored.file_id)
