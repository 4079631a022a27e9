"""The ApiKey aggregate: a credential for a machine (a store, a CRM, an on-call tool) calling the admin
API. The key is shown once; only its keyed digest is stored. It carries scopes, may expire, and is revoked
for good. A revoked key presented again is noted (once a minute at most), so its holder shows in the log."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.errors import ApiKeyRevoked, InvalidInput

MAX_NAME = 80
REFUSAL_NOTE_EVERY = timedelta(minutes=1)
TOKEN_PREFIX = "kl_live_"  # noqa: S105 -- the prefix that tells a key from a JWT, not a secret


class Scope(StrEnum):
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    PERSONAL_DATA_READ = "personal-data:read"  # the Art. 15 export: every personal value, opened
    LICENSES_READ = "licenses:read"
    LICENSES_WRITE = "licenses:write"
    DEVICES_READ = "devices:read"
    DEVICES_WRITE = "devices:write"
    SESSIONS_READ = "sessions:read"
    SESSIONS_WRITE = "sessions:write"
    IP_BLOCKS_READ = "ip-blocks:read"
    IP_BLOCKS_WRITE = "ip-blocks:write"
    AUDIT_READ = "audit:read"
    DASHBOARD_READ = "dashboard:read"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    ALERTS_READ = "alerts:read"
    ALERTS_WRITE = "alerts:write"
    CRASH_REPORTS_READ = "crash-reports:read"
    RELEASES_READ = "releases:read"
    RELEASES_WRITE = "releases:write"


def parse_scopes(values: list[str] | tuple[str, ...]) -> tuple[Scope, ...]:
    """Known scopes, de-duplicated in a stable order; at least one."""
    try:
        scopes = tuple(sorted({Scope(v) for v in values}))
    except ValueError:
        raise InvalidInput("scopes", f"known scopes: {', '.join(s.value for s in Scope)}") from None
    if not scopes:
        raise InvalidInput("scopes", "give at least one scope")
    return scopes


def check_name(name: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME or not name.isprintable():
        raise InvalidInput("name", f"1-{MAX_NAME} printable characters")
    return name.strip()


def token_for(key_id: UUID, secret: str) -> str:
    """The bearer token a machine sends: ``kl_live_<id hex>_<secret>`` (never a JWT's shape)."""
    return f"{TOKEN_PREFIX}{key_id.hex}_{secret}"


def parse_token(token: str) -> tuple[UUID, str] | None:
    """The key id and secret of a token of our shape, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    ident, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not sep or len(ident) != 32 or not 20 <= len(secret) <= 100 or not secret.isascii():
        return None
    try:
        return UUID(hex=ident), secret
    except ValueError:
        return None


class ApiKey(Aggregate):
    class Created(Aggregate.Created):
        name: str
        scopes: list[str]
        secret_digest: str
        expires_at: datetime | None
        context: ContextData

    class Revoked(Aggregate.Event):
        context: ContextData

    class RevokedKeyUsed(Aggregate.Event):
        context: ContextData

    @event(Created)
    def __init__(
        self,
        name: str,
        scopes: list[str],
        secret_digest: str,
        expires_at: datetime | None,
        context: ContextData,
    ) -> None:
        self.name = name
        self.scopes = tuple(Scope(s) for s in scopes)
        self.secret_digest = secret_digest
        self.expires_at = expires_at
        self.created_by = str(context.get("actor", ""))
        self.revoked_at: datetime | None = None
        self.refusal_noted_at: datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        key_id: UUID,
        name: str,
        scopes: tuple[Scope, ...],
        secret_digest: str,
        expires_at: datetime | None,
        now: datetime,
        ctx: AuditContext,
    ) -> ApiKey:
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("expires_at", "must be in the future")
        return cls._create(
            cls.Created,
            id=key_id,
            name=check_name(name),
            scopes=[s.value for s in scopes],
            secret_digest=secret_digest,
            expires_at=expires_at,
            context=ctx.as_event_data(),
            timestamp=now,
        )

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes

    def revoke(self, now: datetime, ctx: AuditContext) -> None:
        if self.revoked_at is not None:
            raise ApiKeyRevoked("this API key is already revoked")
        self._revoked(context=ctx.as_event_data(), timestamp=now)

    @event(Revoked)
    def _revoked(self, context: ContextData, timestamp: datetime) -> None:
        self.revoked_at = timestamp

    def note_refused_use(self, now: datetime, ctx: AuditContext) -> bool:
        """Notes that the revoked key was presented; at most once per ``REFUSAL_NOTE_EVERY``."""
        if self.revoked_at is None:
            return False
        if self.refusal_noted_at is not None and now - self.refusal_noted_at < REFUSAL_NOTE_EVERY:
            return False
        self._refused(context=ctx.as_event_data(), timestamp=now)
        return True

    @event(RevokedKeyUsed)
    def _refused(self, context: ContextData, timestamp: datetime) -> None:
        self.refusal_noted_at = timestamp

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "scopes": [s.value for s in self.scopes],
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }
