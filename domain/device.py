"""The Device aggregate: a machine bound to an account by its fingerprint, its public key and nickname."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.errors import Conflict, InvalidInput
from domain.fingerprints import Components

MAX_NICKNAME = 64
MAX_CLIENT_VERSION = 32
X25519_KEY_HEX = 64  # 32 bytes
HYBRID_KEY_HEX = 2432  # MLKEM768-X25519: 1184 bytes of ML-KEM-768 then 32 of X25519


def check_nickname(nickname: str) -> str:
    name = nickname.strip() if isinstance(nickname, str) else ""
    if not 1 <= len(name) <= MAX_NICKNAME or not name.isprintable():
        raise InvalidInput("nickname", f"1-{MAX_NICKNAME} printable characters")
    return name


def check_client_version(version: str) -> str:
    if not isinstance(version, str) or len(version) > MAX_CLIENT_VERSION or not version.isprintable():
        raise InvalidInput("client_version", f"at most {MAX_CLIENT_VERSION} printable characters")
    return version


def check_public_key(key: str | None) -> str | None:
    """A device public key in lowercase hex: X25519 (64 characters) or MLKEM768-X25519 (2432), or none.
    (Whether the bytes are a usable key is checked at the edge, where the cryptography is.)"""
    if key is None:
        return None
    if (
        not isinstance(key, str)
        or len(key) not in (X25519_KEY_HEX, HYBRID_KEY_HEX)
        or any(c not in "0123456789abcdef" for c in key)
    ):
        raise InvalidInput(
            "public_key", "an X25519 (64) or MLKEM768-X25519 (2432) public key in lowercase hex characters"
        )
    return key


class Device(Aggregate):
    class Bound(Aggregate.Created):
        account_id: UUID
        components: Components
        public_key: str | None
        nickname: str
        client_version: str
        context: ContextData

    class FingerprintUpdated(Aggregate.Event):
        components: Components
        client_version: str
        context: ContextData

    class PublicKeyRegistered(Aggregate.Event):
        public_key: str
        context: ContextData

    class Renamed(Aggregate.Event):
        nickname: str
        context: ContextData

    class Released(Aggregate.Event):
        context: ContextData

    class HeartbeatLost(Aggregate.Event):
        last_seen: datetime
        context: ContextData

    class HeartbeatResumed(Aggregate.Event):
        seen_at: datetime
        context: ContextData

    @event(Bound)
    def __init__(
        self,
        account_id: UUID,
        components: Components,
        public_key: str | None,
        nickname: str,
        client_version: str,
        context: ContextData,
    ) -> None:
        self.account_id = account_id
        self.components = components
        self.public_key = public_key
        self.nickname = nickname
        self.client_version = client_version
        self.released = False
        self.heartbeat_lost = False
        self.lost_since: datetime | None = None

    @classmethod
    def bind(
        cls,
        *,
        device_id: UUID,
        account_id: UUID,
        components: Components,
        public_key: str | None,
        nickname: str,
        client_version: str,
        now: datetime,
        ctx: AuditContext,
    ) -> Device:
        return cls._create(
            cls.Bound,
            id=device_id,
            account_id=account_id,
            components=components,
            public_key=check_public_key(public_key),
            nickname=check_nickname(nickname),
            client_version=check_client_version(client_version),
            context=ctx.as_event_data(),
            timestamp=now,
        )

    def recognise(
        self,
        components: Components,
        public_key: str | None,
        client_version: str,
        now: datetime,
        ctx: AuditContext,
    ) -> None:
        """A login from this device: records a changed fingerprint or a new public key."""
        client_version, key = check_client_version(client_version), check_public_key(public_key)
        if components != self.components or client_version != self.client_version:
            self._fingerprint_updated(
                components=components,
                client_version=client_version,
                context=ctx.as_event_data(),
                timestamp=now,
            )
        if key is not None and key != self.public_key:
            self._public_key_registered(public_key=key, context=ctx.as_event_data(), timestamp=now)

    def rename(self, nickname: str, now: datetime, ctx: AuditContext) -> None:
        self._renamed(nickname=check_nickname(nickname), context=ctx.as_event_data(), timestamp=now)

    def release(self, now: datetime, ctx: AuditContext) -> None:
        if self.released:
            raise Conflict("this device is already released")
        self._released(context=ctx.as_event_data(), timestamp=now)

    @event(FingerprintUpdated)
    def _fingerprint_updated(
        self, components: Components, client_version: str, context: ContextData, timestamp: datetime
    ) -> None:
        self.components, self.client_version = components, client_version

    @event(PublicKeyRegistered)
    def _public_key_registered(self, public_key: str, context: ContextData, timestamp: datetime) -> None:
        self.public_key = public_key

    @event(Renamed)
    def _renamed(self, nickname: str, context: ContextData, timestamp: datetime) -> None:
        self.nickname = nickname

    def lose_heartbeat(self, last_seen: datetime, now: datetime, ctx: AuditContext) -> bool:
        """Records that heartbeats stopped (once, until they resume); returns whether it recorded it."""
        if self.released or self.heartbeat_lost:
            return False
        self._heartbeat_lost(last_seen=last_seen, context=ctx.as_event_data(), timestamp=now)
        return True

    def resume_heartbeat(self, seen_at: datetime, now: datetime, ctx: AuditContext) -> bool:
        """Records that a lost device is heard from again (once); returns whether it recorded it."""
        if not self.heartbeat_lost:
            return False
        self._heartbeat_resumed(seen_at=seen_at, context=ctx.as_event_data(), timestamp=now)
        return True

    @event(Released)
    def _released(self, context: ContextData, timestamp: datetime) -> None:
        self.released = True

    @event(HeartbeatLost)
    def _heartbeat_lost(self, last_seen: datetime, context: ContextData, timestamp: datetime) -> None:
        self.heartbeat_lost, self.lost_since = True, last_seen

    @event(HeartbeatResumed)
    def _heartbeat_resumed(self, seen_at: datetime, context: ContextData, timestamp: datetime) -> None:
        self.heartbeat_lost, self.lost_since = False, None

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "account_id": str(self.account_id),
            "nickname": self.nickname,
            "client_version": self.client_version,
            "public_key": self.public_key,
            "released": self.released,
            "components": sorted(self.components),
            "version": self.version,
        }
