"""Ending a session on both sides of it: the Session closes, and its Account records that the session
ended (the account's open sessions are what a ban closes, a password change ends and the read models
count). One operation, so no use case can close one side and forget the other."""

from __future__ import annotations

from datetime import datetime

from domain.account import Account
from domain.context import AuditContext
from domain.session import CloseReason, Session


def record_end(account: Account, session: Session, now: datetime, ctx: AuditContext) -> None:
    """Tells ``account`` that ``session`` has closed (for whatever reason it closed itself)."""
    if session.closed_reason is not None:
        account.end_session(session.id, session.closed_reason.value, now, ctx)


def end_session(
    account: Account, session: Session, reason: CloseReason, now: datetime, ctx: AuditContext
) -> bool:
    """Closes ``session`` with ``reason`` and records it on ``account``; False if it was closed already."""
    if not session.close(reason, now, ctx):
        return False
    record_end(account, session, now, ctx)
    return True
