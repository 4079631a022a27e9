"""Session use cases: open (a successful login), refresh with rotation, close, and token lookup.

A token is ``<session id hex>.<secret>``; the ledger stores only its keyed digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.account import Account
from domain.context import AuditContext
from domain.errors import (
    AccountBanned,
    InvalidInput,
    RefreshTokenReused,
    SessionClosed,
    SessionExpired,
)
from domain.ledger.base import LedgerBase, Written, retried
from domain.session import ABSOLUTE_LIFETIME, CloseReason, RefreshOutcome, Session, SessionKind
from domain.session_end import end_session, record_end

WEB_LIFETIME = timedelta(hours=12)
MAX_TOKEN = 200


@dataclass(frozen=True)
class SessionToken:
    """An opened or refreshed session and its token, shown this once."""

    session_id: UUID
    token: str
    expires_at: datetime


def session_id_of(token: str) -> UUID:
    """The session a token names, or ``InvalidInput`` for anything that is not a token."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 1:
        raise InvalidInput("token", "not a session token")
    try:
        return UUID(hex=token.split(".", 1)[0])
    except ValueError:
        raise InvalidInput("token", "not a session token") from None


class SessionCommands(LedgerBase):
    def session(self, session_id: UUID) -> Session:
        return self.load(Session, session_id, "session")

    def _token(self, session_id: UUID) -> tuple[str, str]:
        token = f"{session_id.hex}.{self.new_secret()}"
        return token, self.digests.digest("session-token", token)

    @retried
    def open_session(
        self,
        account_id: UUID,
        kind: SessionKind,
        device_id: UUID | None,
        now: datetime,
        ctx: AuditContext,
    ) -> Written[SessionToken]:
        """A successful login: a new session on an account that is not banned (and, for a desktop session,
        on one of its bound devices)."""
        account = self.load(Account, account_id, "account")
        if kind is SessionKind.DESKTOP and device_id not in account.device_ids:
            raise InvalidInput("device_id", "not a device bound to this account")
        session_id = self.new_id()
        token, digest = self._token(session_id)
        lifetime = ABSOLUTE_LIFETIME if kind is SessionKind.DESKTOP else WEB_LIFETIME
        session = Session.open(
            session_id=session_id,
            account_id=account_id,
            kind=kind,
            device_id=device_id,
            token_digest=digest,
            lifetime=lifetime,
            now=now,
            ctx=ctx,
        )
        account.log_in(session_id, kind.value, now, ctx)
        return self.commit(SessionToken(session_id, token, session.expires_at), account, session)

    def refresh_session(self, token: str, now: datetime, ctx: AuditContext) -> Written[SessionToken]:
        """Rotates a refresh token. Reuse of a superseded token closes the family and raises
        ``RefreshTokenReused`` after the closure is saved."""
        written = self._rotate(token, now, ctx)
        outcome, rotated = written.value
        if outcome is RefreshOutcome.REUSED:
            raise RefreshTokenReused("this refresh token was already used; the session is closed")
        if outcome is RefreshOutcome.EXPIRED:
            raise SessionExpired("this session has reached its absolute lifetime")
        if outcome is not RefreshOutcome.ROTATED:
            raise SessionClosed("this session is closed or the token is not valid")
        return Written(rotated, written.position)

    @retried
    def _rotate(
        self, token: str, now: datetime, ctx: AuditContext
    ) -> Written[tuple[RefreshOutcome, SessionToken]]:
        session = self.find(Session, session_id_of(token))
        if session is None:
            raise SessionClosed("this session is closed or the token is not valid")
        account = self.load(Account, session.account_id, "account")
        if account.is_banned(now):
            if session.close(CloseReason.BAN, now, ctx):
                self.commit(None, session)
            raise AccountBanned("this account is banned")
        new_token, new_digest = self._token(session.id)
        outcome = session.refresh(self.digests.digest("session-token", token), new_digest, now, ctx)
        if outcome in (RefreshOutcome.REUSED, RefreshOutcome.EXPIRED):
            record_end(account, session, now, ctx)
        rotated = SessionToken(session.id, new_token, session.expires_at)
        return self.commit((outcome, rotated), session, account)

    def session_for_token(self, token: str, now: datetime) -> Session:
        """The open, unexpired session holding this (current) token; else ``SessionClosed``."""
        session = self.find(Session, session_id_of(token))
        if session is None or not session.holds(self.digests.digest("session-token", token)):
            raise SessionClosed("this session is closed or the token is not valid")
        if not session.is_valid(now):
            raise SessionClosed("this session is closed")
        return session

    @retried
    def close_session(
        self, session_id: UUID, reason: CloseReason, now: datetime, ctx: AuditContext
    ) -> Written[None]:
        session = self.session(session_id)
        account = self.load(Account, session.account_id, "account")
        if not end_session(account, session, reason, now, ctx):
            return Written(None, None)
        return self.commit(None, session, account)
