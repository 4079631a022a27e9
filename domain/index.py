"""Index aggregates: a deterministic id (a keyed HMAC of a unique value) that points at one aggregate.
Creating the same index twice conflicts in the event store, which is how uniqueness is enforced for
usernames, license keys, device fingerprints and releases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class IndexKind(StrEnum):
    USERNAME = "username"
    LICENSE_KEY = "license-key"
    FINGERPRINT = "fingerprint"
    RELEASE = "release"


class IndexEntry(Aggregate):
    class Claimed(Aggregate.Created):
        kind: str
        target_id: UUID

    class Repointed(Aggregate.Event):
        target_id: UUID

    @event(Claimed)
    def __init__(self, kind: str, target_id: UUID) -> None:
        self.kind = IndexKind(kind)
        self.target_id = target_id

    @classmethod
    def claim(cls, *, index_id: UUID, kind: IndexKind, target_id: UUID, now: datetime) -> IndexEntry:
        return cls._create(cls.Claimed, id=index_id, kind=kind.value, target_id=target_id, timestamp=now)

    def repoint(self, target_id: UUID, now: datetime) -> None:
        if target_id != self.target_id:
            self._repointed(target_id=target_id, timestamp=now)

    @event(Repointed)
    def _repointed(self, target_id: UUID, timestamp: datetime) -> None:
        self.target_id = target_id

    def summary(self) -> dict[str, Any]:
        return {"id": str(self.id), "kind": self.kind.value, "target_id": str(self.target_id)}
