"""The policies worker: turns what time makes true into events, exactly once — sessions past their
lifetime, license time that ran out, devices whose heartbeats stopped for longer than the grace period
(and their return) — and applies the abuse rules (automatic IP blocks, alerts). Candidates come from the
read models; each decision is made on the write model, so a lagging read model or a second worker
instance never produces a second event."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from domain.context import AuditContext
from domain.heartbeats import GRACE, Presence, is_silent
from domain.ledger.service import Ledger
from projections import accounts, devices, sessions
from projections.base import text_time
from projections.store import ReadStore
from workers.abuse import AbuseRules, Thresholds

log = logging.getLogger("keyledger.policies")
INTERVAL_S = 5.0
BATCH = 200


class Policies:
    name = "policies"

    def __init__(
        self,
        ledger: Ledger,
        store: ReadStore,
        presence: Presence,
        clock: Callable[[], datetime],
        *,
        grace: timedelta = GRACE,
        interval: float = INTERVAL_S,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.ledger, self.store, self.presence, self.clock = ledger, store, presence, clock
        self.grace, self.interval = grace, interval
        self.abuse = AbuseRules(ledger, store, thresholds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass over every rule; returns how many events it appended."""
        now, ctx = self.clock(), AuditContext.system("policies")
        with self.store.snapshot() as tx:
            due_sessions = sessions.past_lifetime(tx, text_time(now), BATCH)
            due_accounts = accounts.unnoticed_expiries(tx, text_time(now), BATCH)
            bound = devices.bound_devices(tx)
        written = sum(self.ledger.expire_session(UUID(s), now, ctx).value for s in due_sessions)
        written += sum(self.ledger.notice_license_expiry(UUID(a), now, ctx).value for a in due_accounts)
        for device_id, lost in bound:
            written += self._heartbeat_rule(UUID(device_id), lost, now, ctx)
        return written + self.abuse.run_once(now)

    def _heartbeat_rule(self, device_id: UUID, lost: bool, now: datetime, ctx: AuditContext) -> int:
        seen = self.presence.last_seen(device_id)
        if seen is None:
            return 0
        silent = is_silent(seen, now, self.grace)
        if silent and not lost:
            return int(self.ledger.mark_heartbeat_lost(device_id, seen.at, now, ctx).value)
        if lost and not silent:
            return int(self.ledger.mark_heartbeat_resumed(device_id, seen.at, now, ctx).value)
        return 0

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a store outage must not kill the worker: log, wait, retry
                log.exception("policies pass failed; retrying")
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="keyledger-policies", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
