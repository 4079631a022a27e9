"""Abuse rules over the recent event stream: an address failing against many accounts is blocked for a
while (an event, with expiry) and raises an alert; an account failing from many addresses and rapid
fingerprint churn raise alerts. Alerts are events (so they reach the activity feed and, through the relay,
``keyledger.alerts.<kind>``); each is raised once per window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.alert import AlertKind
from domain.context import AuditContext
from domain.ledger.service import Ledger
from projections import audit_index
from projections.base import text_time
from projections.store import ReadStore


@dataclass(frozen=True)
class Thresholds:
    window: timedelta = timedelta(minutes=10)
    accounts_per_address: int = 5
    failures_per_address: int = 30
    addresses_per_account: int = 5
    fingerprint_changes: int = 5
    churn_window: timedelta = timedelta(hours=1)
    block_for: timedelta = timedelta(hours=1)


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed bucket ``now`` falls in (alerts are de-duplicated per bucket)."""
    epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
    return epoch + ((now - epoch) // window) * window


class AbuseRules:
    def __init__(self, ledger: Ledger, store: ReadStore, thresholds: Thresholds | None = None) -> None:
        self.ledger, self.store = ledger, store
        self.limits = thresholds or Thresholds()

    def run_once(self, now: datetime) -> int:
        """Applies every rule once; returns how many events it appended."""
        limits, ctx = (
            self.limits,
            AuditContext.system("policies", reason="automatic: repeated login failures"),
        )
        with self.store.snapshot() as tx:
            addresses = audit_index.failures_by_address(tx, text_time(now - limits.window))
            accounts = audit_index.failures_by_account(tx, text_time(now - limits.window))
            churn = audit_index.fingerprint_changes_by_actor(tx, text_time(now - limits.churn_window))
        written = 0
        bucket = window_start(now, limits.window)
        for address, distinct, total in addresses:
            if distinct >= limits.accounts_per_address or total >= limits.failures_per_address:
                written += self._block(address, now, ctx)
                written += self.ledger.raise_alert(
                    AlertKind.IP_MANY_ACCOUNTS, address, max(distinct, total), bucket, now, ctx
                ).value
        for account, distinct in accounts:
            if distinct >= limits.addresses_per_account:
                written += self.ledger.raise_alert(
                    AlertKind.ACCOUNT_MANY_IPS, account, distinct, bucket, now, ctx
                ).value
        churn_bucket = window_start(now, limits.churn_window)
        for actor, changes in churn:
            if changes >= limits.fingerprint_changes:
                written += self.ledger.raise_alert(
                    AlertKind.FINGERPRINT_CHURN, actor, changes, churn_bucket, now, ctx
                ).value
        return written

    def _block(self, address: str, now: datetime, ctx: AuditContext) -> int:
        if self.ledger.is_blocked(address, now):
            return 0
        return int(self.ledger.block_ip(address, now + self.limits.block_for, now, ctx).position is not None)
