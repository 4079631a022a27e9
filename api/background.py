"""Which workers a process runs, built from settings (the embedded server runs them all in-process)."""

from __future__ import annotations

from collections.abc import Sequence

from api.checkpoint_key import load_notary
from api.services import Clock
from api.settings import Settings
from api.stores import postgres_conninfo
from domain.ledger.service import Ledger
from projections.runner import Catchup
from workers.background import Background, ThreadedProjections, ThreadedRelay
from workers.events import LedgerEvents
from workers.ledger_db import ledger_db
from workers.merkle_store import TreeStore
from workers.notary import Notary
from workers.policies import Policies
from workers.presence import Presence
from workers.projector import ProjectionWorker
from workers.relay import Relay
from workers.sealer import Sealer
from workers.wakeup import NatsWakeup

WORKER_NAMES = ("projections", "relay", "policies", "sealer")


def build_background(
    settings: Settings,
    ledger: Ledger,
    catchup: Catchup,
    presence: Presence,
    clock: Clock,
    names: Sequence[str] = WORKER_NAMES,
    *,
    tree: TreeStore | None = None,
    notary: Notary | None = None,
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
    if "sealer" in names:
        found.extend(_sealer(settings, ledger, clock, tree, notary))
    return found


def _sealer(
    settings: Settings, ledger: Ledger, clock: Clock, tree: TreeStore | None, notary: Notary | None
) -> list[Background]:
    """The sealer, woken by this process's writes and by NATS when configured (else it polls)."""
    sealer = Sealer(tree or TreeStore(ledger_db(ledger)), notary or load_notary(settings), clock)
    ledger.listeners.append(sealer.wake)
    found: list[Background] = [sealer]
    if settings.nats_url:
        found.append(NatsWakeup(settings.nats_url, sealer.wake))
    return found
