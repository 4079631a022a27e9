"""The Download aggregate: one granted download of one release file to one device — the ``Downloaded``
event the rate limit and the audit log count. Its id is the grant's: resuming the same grant (an HTTP
Range request) reads it and appends nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.errors import GrantExpired, NotFound


class Download(Aggregate):
    class Downloaded(Aggregate.Created):
        account_id: UUID
        device_id: UUID
        release_id: UUID
        file_id: UUID
        bytes_promised: int
        expires_at: datetime
        context: ContextData

    @event(Downloaded)
    def __init__(
        self,
        account_id: UUID,
        device_id: UUID,
        release_id: UUID,
        file_id: UUID,
        bytes_promised: int,
        expires_at: datetime,
        context: ContextData,
    ) -> None:
        self.account_id, self.device_id = account_id, device_id
        self.release_id, self.file_id = release_id, file_id
        self.bytes_promised, self.expires_at = bytes_promised, expires_at

    @classmethod
    def grant(
        cls,
        *,
        grant_id: UUID,
        account_id: UUID,
        device_id: UUID,
        release_id: UUID,
        file_id: UUID,
        bytes_promised: int,
        expires_at: datetime,
        now: datetime,
        ctx: AuditContext,
    ) -> Download:
        return cls._create(
            cls.Downloaded,
            id=grant_id,
            account_id=account_id,
            device_id=device_id,
            release_id=release_id,
            file_id=file_id,
            bytes_promised=bytes_promised,
            expires_at=expires_at,
            context=ctx.as_event_data(),
            timestamp=now,
        )

    def check_usable(self, account_id: UUID, device_id: UUID, now: datetime) -> None:
        """Only the device it was granted to resumes a grant, and only until it expires (another
        account's or device's grant is ``NotFound``: its existence is not revealed)."""
        if (self.account_id, self.device_id) != (account_id, device_id):
            raise NotFound("download", self.id)
        if now >= self.expires_at:
            raise GrantExpired("this download's grant has expired; ask for a new download")

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "account_id": str(self.account_id),
            "device_id": str(self.device_id),
            "release_id": str(self.release_id),
            "file_id": str(self.file_id),
            "bytes_promised": self.bytes_promised,
            "expires_at": self.expires_at.isoformat(),
            "version": self.version,
        }
