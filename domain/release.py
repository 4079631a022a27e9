"""The Release aggregate: one version of a product for one channel and platform, its files (size and
plaintext SHA-256 of each, so the sealed ledger commits to exactly what was shipped), the lowest tier
entitled to it, and its life: published, withdrawn (yanked, with a reason), published again.

Release events are public records (clients check them in the ledger), so their audit context carries no
personal data: see ``AuditContext.without_personal_data``."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.errors import Conflict, InvalidInput
from domain.roles import Role, parse_tier, reaches
from domain.semver import parse_version

MAX_NOTES = 2000
MAX_FILES = 16
_LABEL = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_label(field: str, value: str) -> str:
    """A product, channel or platform: 1-32 of a-z 0-9 . _ -, starting with a letter or digit."""
    if not isinstance(value, str) or not _LABEL.fullmatch(value):
        raise InvalidInput(field, "1-32 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")
    return value


def check_notes(notes: str) -> str:
    if not isinstance(notes, str) or len(notes) > MAX_NOTES or "\x00" in notes:
        raise InvalidInput("notes", f"at most {MAX_NOTES} characters, no NUL")
    return notes


def check_file_name(name: str) -> str:
    """A file's name as clients save it: 1-128 of A-Z a-z 0-9 . _ + -, never a path or a dot-file."""
    if not isinstance(name, str) or not _FILE_NAME.fullmatch(name):
        raise InvalidInput(
            "file", "a name of 1-128 of A-Z, a-z, 0-9, '.', '_', '+', '-', not starting with '.'"
        )
    return name


@dataclass(frozen=True)
class ReleaseFile:
    """A file as sealed and stored: its id, name, plaintext size and SHA-256 (hex), the blob holding its
    sealed form and that blob's size."""

    file_id: UUID
    name: str
    size: int
    sha256: str
    blob: str
    sealed_size: int

    def as_event_data(self) -> dict[str, Any]:
        return {**asdict(self), "file_id": str(self.file_id)}

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> ReleaseFile:
        return cls(
            UUID(str(data["file_id"])),
            str(data["name"]),
            int(data["size"]),
            str(data["sha256"]),
            str(data["blob"]),
            int(data["sealed_size"]),
        )


def check_files(files: list[ReleaseFile]) -> list[ReleaseFile]:
    if not 1 <= len(files) <= MAX_FILES:
        raise InvalidInput("files", f"a release has 1 to {MAX_FILES} files")
    names = [check_file_name(f.name) for f in files]
    if len(set(names)) != len(names):
        raise InvalidInput("files", "two files of a release have the same name")
    if any(f.size < 0 or not _SHA256.fullmatch(f.sha256) for f in files):
        raise InvalidInput("files", "a file needs a size and a lowercase hex SHA-256")
    return files


class Release(Aggregate):
    class Published(Aggregate.Created):
        product: str
        channel: str
        platform: str
        release_version: str
        notes: str
        min_tier: str
        files: list[dict[str, Any]]
        context: ContextData

    class Withdrawn(Aggregate.Event):
        context: ContextData

    class Republished(Aggregate.Event):
        context: ContextData

    @event(Published)
    def __init__(
        self,
        product: str,
        channel: str,
        platform: str,
        release_version: str,
        notes: str,
        min_tier: str,
        files: list[dict[str, Any]],
        context: ContextData,
    ) -> None:
        self.product, self.channel, self.platform = product, channel, platform
        self.release_version, self.notes, self.min_tier = release_version, notes, Role(min_tier)
        self.files = [ReleaseFile.from_event_data(f) for f in files]
        self.withdrawn = False
        self.withdraw_reason: str | None = None

    @classmethod
    def publish(
        cls,
        *,
        release_id: UUID,
        product: str,
        channel: str,
        platform: str,
        version: str,
        notes: str,
        min_tier: Role,
        files: list[ReleaseFile],
        now: datetime,
        ctx: AuditContext,
    ) -> Release:
        return cls._create(
            cls.Published,
            id=release_id,
            product=check_label("product", product),
            channel=check_label("channel", channel),
            platform=check_label("platform", platform),
            release_version=str(parse_version(version)),
            notes=check_notes(notes),
            min_tier=parse_tier(min_tier).value,
            files=[f.as_event_data() for f in check_files(files)],
            context=ctx.without_personal_data().as_event_data(),
            timestamp=now,
        )

    def file(self, file_id: UUID) -> ReleaseFile | None:
        return next((f for f in self.files if f.file_id == file_id), None)

    def reaches(self, tier: Role) -> bool:
        """Whether a license of ``tier`` is entitled to this release."""
        return reaches(tier, self.min_tier)

    def withdraw(self, now: datetime, ctx: AuditContext) -> None:
        """Yanks the release: no new download is granted and running ones stop. Needs a reason."""
        if not ctx.reason:
            raise InvalidInput("reason", "withdrawing a release needs a reason")
        if self.withdrawn:
            raise Conflict("this release is already withdrawn")
        self._withdrawn(context=ctx.without_personal_data().as_event_data(), timestamp=now)

    def republish(self, now: datetime, ctx: AuditContext) -> None:
        if not self.withdrawn:
            raise Conflict("this release is published, not withdrawn")
        self._republished(context=ctx.without_personal_data().as_event_data(), timestamp=now)

    @event(Withdrawn)
    def _withdrawn(self, context: ContextData, timestamp: datetime) -> None:
        self.withdrawn, self.withdraw_reason = True, context.get("reason")

    @event(Republished)
    def _republished(self, context: ContextData, timestamp: datetime) -> None:
        self.withdrawn, self.withdraw_reason = False, None

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "product": self.product,
            "channel": self.channel,
            "platform": self.platform,
            "release_version": self.release_version,
            "min_tier": self.min_tier.value,
            "withdrawn": self.withdrawn,
            "files": [f.as_event_data() for f in self.files],
            "version": self.version,
        }
