"""API key use cases: create (the token is shown once), revoke, and resolve a presented token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.api_key import ApiKey, Scope, parse_scopes, parse_token, token_for
from domain.context import AuditContext
from domain.errors import ApiKeyRejected
from domain.ledger.base import LedgerBase, Written, retried

DIGEST_PURPOSE = "api-key"


@dataclass(frozen=True)
class IssuedApiKey:
    """A new key's id and its token, which is shown this once and never stored."""

    key_id: UUID
    token: str


class ApiKeyCommands(LedgerBase):
    def api_key(self, key_id: UUID) -> ApiKey:
        return self.load(ApiKey, key_id, "API key")

    @retried
    def create_api_key(
        self,
        name: str,
        scopes: list[str] | tuple[str, ...],
        expires_at: datetime | None,
        now: datetime,
        ctx: AuditContext,
    ) -> Written[IssuedApiKey]:
        key_id, secret = self.new_id(), self.new_secret()
        key = ApiKey.create(
            key_id=key_id,
            name=name,
            scopes=parse_scopes(list(scopes)),
            secret_digest=self.digests.digest(DIGEST_PURPOSE, secret),
            expires_at=expires_at,
            now=now,
            ctx=ctx,
        )
        return self.commit(IssuedApiKey(key_id, token_for(key_id, secret)), key)

    @retried
    def revoke_api_key(self, key_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        key = self.api_key(key_id)
        key.revoke(now, ctx)
        return self.commit(None, key)

    def api_key_for_token(self, token: str, now: datetime, ctx: AuditContext) -> ApiKey:
        """The usable key this token opens, else ``ApiKeyRejected``. A revoked key's use is noted (an
        event, at most once a minute)."""
        parsed = parse_token(token)
        key = self.find(ApiKey, parsed[0]) if parsed else None
        if parsed is None or key is None:
            raise ApiKeyRejected("unknown API key")
        if not self.digests.same(key.secret_digest, self.digests.digest(DIGEST_PURPOSE, parsed[1])):
            raise ApiKeyRejected("unknown API key")
        if key.revoked_at is not None:
            self._note_refused(key.id, now, ctx)
            raise ApiKeyRejected("this API key has been revoked")
        if not key.is_usable(now):
            raise ApiKeyRejected("this API key has expired")
        return key

    @retried
    def _note_refused(self, key_id: UUID, now: datetime, ctx: AuditContext) -> Written[bool]:
        key = self.api_key(key_id)
        if not key.note_refused_use(now, ctx):
            return Written(False, None)
        return self.commit(True, key)

    @staticmethod
    def scope_names() -> list[str]:
        return [s.value for s in Scope]
