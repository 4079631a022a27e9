"""What time makes true, as events, exactly once: sessions past their lifetime close, license time that
ran out is noted, devices whose heartbeats stopped (and came back) are marked."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.account import Account
from domain.alert import Alert, AlertKind
from domain.context import AuditContext
from domain.device import Device
from domain.ledger.base import LedgerBase, Written, retried
from domain.session import CloseReason, Session
from domain.session_end import end_session


class PolicyCommands(LedgerBase):
    @retried
    def expire_session(self, session_id: UUID, now: datetime, ctx: AuditContext) -> Written[bool]:
        """Closes a session whose absolute lifetime has passed (reason ``expired``)."""
        session = self.load(Session, session_id, "session")
        if not session.is_open or now < session.expires_at:
            return Written(False, None)
        account = self.load(Account, session.account_id, "account")
        end_session(account, session, CloseReason.EXPIRED, now, ctx)
        return self.commit(True, session, account)

    @retried
    def notice_license_expiry(self, account_id: UUID, now: datetime, ctx: AuditContext) -> Written[bool]:
        account = self.load(Account, account_id, "account")
        if not account.notice_expiry(now, ctx):
            return Written(False, None)
        return self.commit(True, account)

    @retried
    def mark_heartbeat_lost(
        self, device_id: UUID, last_seen: datetime, now: datetime, ctx: AuditContext
    ) -> Written[bool]:
        device = self.load(Device, device_id, "device")
        if not device.lose_heartbeat(last_seen, now, ctx):
            return Written(False, None)
        return self.commit(True, device)

    @retried
    def mark_heartbeat_resumed(
        self, device_id: UUID, seen_at: datetime, now: datetime, ctx: AuditContext
    ) -> Written[bool]:
        device = self.load(Device, device_id, "device")
        if not device.resume_heartbeat(seen_at, now, ctx):
            return Written(False, None)
        return self.commit(True, device)

    def raise_alert(
        self,
        kind: AlertKind,
        subject: str,
        count: int,
        window_start: datetime,
        now: datetime,
        ctx: AuditContext,
    ) -> Written[bool]:
        """Raises an alert once per (kind, subject, window); a repeat is a no-op."""
        alert_id = self.digests.index_id("alert", f"{kind.value}|{subject}|{window_start.isoformat()}")
        if self.find(Alert, alert_id) is not None:
            return Written(False, None)
        alert = Alert.raise_alert(
            alert_id=alert_id,
            kind=kind,
            subject=subject,
            count=count,
            window_start=window_start,
            now=now,
            ctx=ctx,
        )
        try:
            return self.commit(True, alert)
        except IntegrityError:
            return Written(False, None)

    @retried
    def acknowledge_alert(self, alert_id: UUID, now: datetime, ctx: AuditContext) -> Written[bool]:
        """Marks an alert as seen (an event naming who); acknowledging twice appends nothing."""
        alert = self.load(Alert, alert_id, "alert")
        if not alert.acknowledge(now, ctx):
            return Written(False, None)
        return self.commit(True, alert)
