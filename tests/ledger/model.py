"""An independent model of the ledger's rules, for the state machine to predict outcomes with, and a ledger
that remembers the in-memory state of everything it saves, to compare with a replay of the store."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import Recording

from domain.fingerprints import Components
from domain.ledger.service import Ledger

GRACE = timedelta(seconds=30)


@dataclass
class Grant:
    license_id: UUID
    at: datetime
    days: int


@dataclass
class AccountModel:
    username: str
    limit: int
    devices: dict[UUID, Components] = field(default_factory=dict)
    banned: bool = False
    banned_until: datetime | None = None
    grants: list[Grant] = field(default_factory=list)

    def is_banned(self, now: datetime) -> bool:
        return self.banned and (self.banned_until is None or now < self.banned_until)

    def expiry(self) -> datetime | None:
        """Each grant counts from the expiry it finds if that is still ahead of it, else from its own time."""
        expiry: datetime | None = None
        for grant in self.grants:
            start = grant.at if expiry is None or expiry <= grant.at else expiry
            expiry = start + timedelta(days=grant.days)
        return expiry

    def device_for(self, components: Components, exact: UUID | None) -> UUID | None:
        """The active device the exact fingerprint names, else the first best one agreeing on >70%."""
        if exact in self.devices:
            return exact
        best: tuple[int, UUID | None] = (0, None)
        for device, known in self.devices.items():
            names = known.keys() | components.keys()
            equal = sum(1 for n in names if n in known and n in components and known[n] == components[n])
            if 10 * equal > 7 * len(names) and equal > best[0]:
                best = (equal, device)
        return best[1]


@dataclass
class SessionModel:
    account: UUID
    device: UUID | None
    expires_at: datetime
    tokens: list[str]
    rotated_at: datetime | None = None
    open: bool = True
    reused: bool = False

    def expect(self, token: str, now: datetime, banned: bool) -> str:
        """What presenting ``token`` at ``now`` does: rotated, or refused as banned, closed, expired or
        reused."""
        if banned:
            return "banned"
        if not self.open:
            return "closed"
        if now >= self.expires_at:
            return "expired"
        if token == self.tokens[-1] or self.in_grace(token, now):
            return "rotated"
        return "reused"

    def in_grace(self, token: str, now: datetime) -> bool:
        return (
            len(self.tokens) > 1
            and token == self.tokens[-2]
            and self.rotated_at is not None
            and now - self.rotated_at <= GRACE
        )


@dataclass
class LicenseModel:
    account: UUID
    revoked: bool = False


def state_of(aggregate: Any) -> dict[str, Any]:
    """Everything an aggregate holds, private state included, as comparable data."""
    state = {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
    summary = aggregate.summary() if hasattr(aggregate, "summary") else None
    return copy.deepcopy({"type": type(aggregate).__qualname__, "state": state, "summary": summary})


class RecordingLedger(Ledger):
    """The ledger, remembering the in-memory state of every aggregate right after it was saved."""

    name = Ledger.name  # the ledger's tables on PostgreSQL (the library names them after the class)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved: dict[UUID, dict[str, Any]] = {}

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        recordings = super().save(*objs, **kwargs)
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.saved[obj.id] = state_of(obj)
        return recordings
