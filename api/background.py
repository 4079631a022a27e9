"""Which workers a process runs, built from settings (the embedded server runs them all in-process)."""

from __future__ import annotations

from collections.abc import Sequence

from api.services import Clock
from api.settings import Settings
from api.stores import postgres_conninfo
from domain.ledger.service import Ledger
from projections.runner import Catchup
from workers.background import Background, ThreadedProjections, ThreadedRelay
from workers.events import LedgerEvents
from workers.policies import Policies
from workers.presence import Presence
from workers.projector import ProjectionWorker
from workers.relay import Relay
from workers.wakeup import NatsWakeup

WORKER_NAMES = ("projections", "relay", "policies")


def build_background(
    settings: Settings,
    ledger: Ledger,
    catchup: Catchup,
    presence: Presence,
    clock: Clock,
    names: Sequence[str] = WORKER_NAMES,
) -> list[Background]:
    """The named workers; the relay only when NATS is configured. New writes in this process wake the
    projection worker directly, writes elsewhere through NATS (or the poll)."""
    found: list[Background] = []
    if "projections" in names:
        projector = ProjectionWorker(catchup, lock_conninfo=postgres_conninfo(settings))
        ledger.listeners.append(projector.wake)
        found.append(ThreadedProjections(projector))
        if settings.nats_url:
            found.append(NatsWakeup(settings.nats_url, projector.wake))
    if "relay" in names and settings.nats_url:
        found.append(ThreadedRelay(Relay(LedgerEvents(ledger), catchup.store, settings.nats_url)))
    if "policies" in names:
        found.append(Policies(ledger, catchup.store, presence, clock))
    return found
