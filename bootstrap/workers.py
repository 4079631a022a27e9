"""Which workers a process runs, built from settings: ``keyledger worker NAME`` runs one (or all), the
embedded server runs them all in-process. Each has a name, ``start`` and ``stop``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from adapters.event_source import LedgerEvents
from adapters.jetstream import JetStreamPublisher
from adapters.merkle_store import TreeStore
from adapters.nats_wakeup import NatsWakeup
from adapters.notary import Notary
from bootstrap import integrations
from bootstrap.personal_data import PersonalDataService, personal_data_service
from bootstrap.settings import Settings
from bootstrap.stores import leader
from domain.context import AuditContext
from domain.heartbeats import Presence
from domain.ledger.service import Ledger
from projections.runner import Catchup
from workers.background import ThreadedProjections, ThreadedRelay
from workers.policies import Policies
from workers.projector import ProjectionWorker
from workers.relay import STREAMS, SUBJECT_PREFIX, Relay
from workers.retention import Retention
from workers.sealer import Sealer
from workers.webhooks import WebhookWorker

WORKER_NAMES = ("projections", "relay", "policies", "sealer", "webhooks", "retention")


class Background(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


class ClosedOnStop:
    """Not a worker: a resource the process closes when its workers stop (listed first, so it is
    stopped last)."""

    def __init__(self, name: str, close: Callable[[], None]) -> None:
        self.name, self._close = name, close

    def start(self) -> None:
        return

    def stop(self) -> None:
        self._close()


def build_background(
    settings: Settings,
    ledger: Ledger,
    catchup: Catchup,
    presence: Presence,
    clock: Callable[[], datetime],
    names: Sequence[str] = WORKER_NAMES,
    *,
    tree: TreeStore,
    notary: Notary,
) -> list[Background]:
    """The named workers; the relay only when NATS is configured. New writes in this process wake the
    projection worker and the sealer directly, writes elsewhere through NATS (or the poll)."""
    found: list[Background] = []
    if "projections" in names:
        projector = ProjectionWorker(catchup, leader=leader(settings, "projections"))
        found += [ThreadedProjections(projector), *wakeups(settings, ledger, projector.wake)]
    if "relay" in names and settings.nats_url:
        publisher = JetStreamPublisher(settings.nats_url, STREAMS)
        found.append(ThreadedRelay(Relay(LedgerEvents(ledger), catchup.store, publisher)))
    if "policies" in names:
        found.append(Policies(ledger, catchup.store, presence, clock))
    if "sealer" in names:
        sealer = Sealer(tree, notary, clock, leader=leader(settings, "sealer"))
        found += [sealer, *wakeups(settings, ledger, sealer.wake)]
    if "webhooks" in names:
        hooks = webhook_worker(settings, ledger, catchup, clock)
        found += [hooks, *wakeups(settings, ledger, hooks.wake)]
    if "retention" in names and (service := personal_data_service(ledger, catchup.store, catchup.source)):
        found.append(retention_worker(settings, service, clock))
    return found


def retention_worker(
    settings: Settings, service: PersonalDataService, clock: Callable[[], datetime]
) -> Retention:
    """Destroys the day keys past ``KEYLEDGER_PERSONAL_DATA_RETENTION_DAYS``, hourly."""
    days, ctx = settings.personal_data_retention_days, AuditContext.system("retention")
    return Retention(lambda: service.sweep(clock(), days, ctx), leader=leader(settings, "retention"))


def webhook_worker(
    settings: Settings, ledger: Ledger, catchup: Catchup, clock: Callable[[], datetime]
) -> WebhookWorker:
    return WebhookWorker(
        ledger,
        LedgerEvents(ledger),
        catchup.store,
        integrations.sender(settings),
        integrations.webhook_secrets(ledger.digests).open,
        clock,
        mailer=integrations.mailer(settings),
        leader=leader(settings, "webhooks"),
    )


def wakeups(settings: Settings, ledger: Ledger, wake: Callable[[], None]) -> list[Background]:
    """``wake`` on every write of this process, and (with NATS) on every event the relay publishes."""
    ledger.listeners.append(lambda _: wake())
    if not settings.nats_url:
        return []
    return [NatsWakeup(settings.nats_url, f"{SUBJECT_PREFIX}.>", wake)]
