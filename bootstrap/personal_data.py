"""Erasure, access export and the retention sweep, composed over the ledger's sealing mapper, its key
table and the read models (which are rebuilt in place so they show ``[erased]``)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import LRUCache

from adapters.personal_keys import PersonalKeys
from adapters.personal_seal import SealingMapper, field_value
from adapters.read_store import PostgresReadStore, SqliteReadStore
from domain import personal
from domain.context import AuditContext
from domain.ledger.service import Ledger
from projections import catalogue, deliveries
from projections.base import stamp
from projections.rebuild import rebuild_in_place
from projections.runner import EventSource
from projections.store import ReadStore

log = logging.getLogger("keyledger.personal_data")
EXPORT_BATCH = 1000


class PersonalDataService:
    def __init__(self, ledger: Ledger, mapper: SealingMapper, store: ReadStore, source: EventSource) -> None:
        self.ledger, self.mapper, self.store, self.source = ledger, mapper, store, source

    @property
    def keys(self) -> PersonalKeys:
        return self.mapper.keys

    def erase(self, account_id: UUID, now: datetime, ctx: AuditContext) -> int | None:
        account = self.ledger.account(account_id)
        position = None
        if not account.erased:  # a retry after a crash finds the event and only destroys the key
            position = self.ledger.erase_account(account_id, now, ctx).position
        self.keys.destroy(personal.Subject(account=account_id).key_id, now)
        self._forget_all()  # rare: dropping every cached aggregate beats finding its devices and sessions
        self.rebuild()
        log.info("erased the personal data of account %s", account_id)
        return position

    def sweep(self, now: datetime, retention_days: int, ctx: AuditContext) -> int:
        """Destroys (and records, one ``DayKey.Destroyed`` each) the day keys older than the retention."""
        cutoff = (now - timedelta(days=retention_days)).date()
        expired = self.keys.live_days_before(cutoff.isoformat())
        for key_id in expired:
            self.ledger.record_day_key_destroyed(date.fromisoformat(key_id[4:]), retention_days, now, ctx)
            self.keys.destroy(key_id, now)
        if expired:
            self._forget_all()
            self.rebuild()
            self._redact_alert_deliveries(datetime.combine(cutoff, time(), UTC))
        return len(expired)

    def _redact_alert_deliveries(self, before: datetime) -> None:
        with self.store.transaction() as tx:
            deliveries.redact_alert_subjects(tx, stamp(before) or "")

    def rebuild(self) -> None:
        rebuild_in_place(self.store, catalogue.ALL, self.source)
        if isinstance(self.store, SqliteReadStore):
            self.store.truncate_wal()
        if isinstance(self.store, PostgresReadStore):
            self.store.vacuum([table for projection in catalogue.ALL for table in projection.tables])

    def export(self, account_id: UUID, now: datetime, ctx: AuditContext) -> dict[str, Any]:
        """The account's personal values, opened; recorded (``Account.PersonalDataExported``, ``ctx``'s
        actor) before they are returned, so no export leaves no trace. An erased account's export reads
        ``[erased]`` and is recorded too."""
        account = self.ledger.account(account_id)
        found = self._personal_events(account_id)
        position = self.ledger.record_personal_data_export(account_id, len(found), now, ctx).position
        log.info("exported the personal data of account %s for %s", account_id, ctx.actor)
        erased = account.erased
        return {"account_id": str(account_id), "erased": erased, "events": found, "position": position}

    def _personal_events(self, account_id: UUID) -> list[dict[str, Any]]:
        key_id = personal.Subject(account=account_id).key_id
        found: list[dict[str, Any]] = []
        after = 0
        while notifications := self.ledger.recorder.select_notifications(
            start=after, limit=EXPORT_BATCH, inclusive_of_start=False
        ):
            for n in notifications:
                found += self._personal_values(n, key_id)
            after = notifications[-1].id
        return found

    def _personal_values(self, stored: Any, key_id: str) -> list[dict[str, Any]]:
        event = self.mapper.to_domain_event(stored)
        state = vars(event)
        topic = stored.topic
        if personal.subject(topic, event.originator_id, state, self.mapper.links).key_id != key_id:
            return []
        values = {
            ".".join(p): v for p in personal.personal_paths(topic) if (v := field_value(state, p)) is not None
        }
        if not values:
            return []
        return [
            {
                "position": stored.id,
                "topic": topic,
                "aggregate_id": str(event.originator_id),
                "version": event.originator_version,
                "timestamp": state["timestamp"].isoformat(),
                "fields": values,
            }
        ]

    def _forget_all(self) -> None:
        """Drops every cached aggregate of this process: any may hold the erased values opened (after a
        sweep, a day's; after an erasure, the account's, its devices' and its sessions')."""
        repository = self.ledger.repository
        if isinstance(repository.cache, LRUCache):
            repository.cache = LRUCache(maxsize=repository.cache.maxsize)


def personal_data_service(
    ledger: Ledger, store: ReadStore, source: EventSource
) -> PersonalDataService | None:
    """The service over ``ledger``'s sealing mapper (None for a ledger built without one: some tests')."""
    mapper = ledger.mapper
    if not isinstance(mapper, SealingMapper):
        return None
    return PersonalDataService(ledger, mapper, store, source)
