"""Abuse rules over the recent event stream: an address failing against many accounts is blocked for a
while (an event, with expiry) and raises an alert; an account failing from many addresses and rapid
fingerprint churn raise alerts. Alerts are events (so they reach the activity feed and, through the relay,
``keyledger.alerts.<kind>``); each is raised once per window.

Failures count per network, as the rate limits do (an IPv6 /64 is one client), and an admin's unblock
forgives every failure before it: the rule never blocks again for attempts the admin has already
judged."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.alert import AlertKind
from domain.context import AuditContext
from domain.ip_address import network_of
from domain.ledger.service import Ledger
from projections import audit_index
from projections.base import stamp, text_time
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


@dataclass
class Tally:
    """Failed logins in the window: per network the accounts tried and the attempts; per account the
    networks the attempts came from."""

    accounts: dict[str, set[str]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    networks: dict[str, set[str]] = field(default_factory=dict)


def tally(rows: Iterable[tuple[str, str, str, str]], forgiven_until: Callable[[str], str | None]) -> Tally:
    """Counts ``audit_index.login_failures`` rows per network, skipping a network's rows at or before
    ``forgiven_until(network)`` (its last unblock)."""
    found = Tally()
    for kind, address, aggregate, at in rows:
        network = network_of(address)
        forgiven = forgiven_until(network)
        if forgiven is not None and at <= forgiven:
            continue
        if kind == "IpAddress.LoginFailed":
            found.attempts[network] = found.attempts.get(network, 0) + 1
        else:
            found.accounts.setdefault(network, set()).add(aggregate)
            found.networks.setdefault(aggregate, set()).add(network)
    return found


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
            failures = audit_index.login_failures(tx, text_time(now - limits.window))
            churn = audit_index.fingerprint_changes_by_actor(tx, text_time(now - limits.churn_window))
        found = tally(failures, self._forgiven_until)
        written = 0
        bucket = window_start(now, limits.window)
        for network in sorted(found.accounts.keys() | found.attempts.keys()):
            distinct, total = len(found.accounts.get(network, ())), found.attempts.get(network, 0)
            if distinct >= limits.accounts_per_address or total >= limits.failures_per_address:
                written += self._block(network, now, ctx)
                written += self.ledger.raise_alert(
                    AlertKind.IP_MANY_ACCOUNTS, network, max(distinct, total), bucket, now, ctx
                ).value
        for account, networks in found.networks.items():
            distinct = len(networks)
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

    def _forgiven_until(self, network: str) -> str | None:
        """When an admin last lifted a block on ``network`` (its earlier failures are forgiven)."""
        found = self.ledger.ip_address(network)
        return None if found is None else stamp(found.unblocked_at)

    def _block(self, address: str, now: datetime, ctx: AuditContext) -> int:
        if self.ledger.is_blocked(address, now):
            return 0
        return int(self.ledger.block_ip(address, now + self.limits.block_for, now, ctx).position is not None)
