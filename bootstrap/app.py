"""The API process's composition root: ``create_app(settings)`` builds every service from settings, and
the lifespan that runs the in-process workers beside the routes."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from adapters.limiter_memory import InProcessLimiter
from adapters.limiter_redis import RedisLimiter, limiter_client
from adapters.reachability import reachable
from adapters.response_seal import AeadSeal
from api.api_key_usage import KeyUsage
from api.blocklist import Blocklist
from api.client_address import parse_networks
from api.fresh_state import FreshAggregates
from api.http import assemble
from api.idempotency_store import IdempotencyStore
from api.ledger_log import LedgerLog
from api.limits import Limiter, RateLimits, parse_limit
from api.metrics import Metrics
from api.readmodels import ReadModels
from api.services import Clock, Services, WebSettings, utc_now
from bootstrap import integrations, keys
from bootstrap.files import build_vault, release_store
from bootstrap.personal_data import personal_data_service
from bootstrap.schema import read_models
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger, build_presence, build_read_store, build_tree, watch_changes
from bootstrap.workers import Background, ClosedOnStop, build_background
from domain.ledger.service import Ledger
from projections.store import ReadStore


def build_limits(settings: Settings, store: ReadStore, metrics: Metrics) -> RateLimits:
    """Limits over Redis when configured (short timeout, no retries), else in this process."""
    shared: Limiter = (
        RedisLimiter(limiter_client(settings.redis_url)) if settings.redis_url else InProcessLimiter()
    )
    return RateLimits(
        shared,
        InProcessLimiter(),
        parse_limit("login", settings.login_limit),
        parse_limit("api", settings.api_limit),
        parse_limit("download", settings.download_limit),
        store,
        on_limited=lambda route: metrics.limited.labels(route).inc(),
    )


def web_settings(settings: Settings) -> WebSettings:
    token = settings.metrics_token
    return WebSettings(
        public_origin=settings.public_origin,
        insecure_dev_cookies=settings.insecure_dev_cookies,
        max_body_bytes=settings.max_body_bytes,
        metrics_networks=parse_networks(settings.metrics_allow),
        metrics_token=None if token is None else token.get_secret_value(),
    )


def readiness(settings: Settings) -> dict[str, Callable[[], bool]]:
    """A probe for each configured service beside the event store."""
    checks: dict[str, Callable[[], bool]] = {}
    if settings.redis_url:
        checks["redis"] = functools.partial(reachable, settings.redis_url, 6379)
    if settings.nats_url:
        checks["nats"] = functools.partial(reachable, settings.nats_url, 4222)
    return checks


def build_services(
    settings: Settings,
    ledger: Ledger | None = None,
    clock: Clock = utc_now,
    read_store: ReadStore | None = None,
) -> tuple[Services, list[Background]]:
    """Everything the routes need, and what the process runs beside them. Without separate worker
    processes (the embedded default, or ``KEYLEDGER_INPROCESS_WORKERS``) the workers run in this process,
    woken by each write. Tests pass a ``ledger`` over their own store and keys."""
    background: list[Background] = []
    if ledger is None:
        digests = keys.digests(settings)
        hasher = keys.pooled_hasher(settings, digests)
        background.append(ClosedOnStop("password-hashing", hasher.close))
        ledger = build_ledger(settings, digests, hasher, create_tables=not settings.database_url)
    store = read_store or build_read_store(settings)
    catchup = read_models(settings, ledger, store)
    presence, tree, notary = build_presence(settings), build_tree(ledger), keys.notary(settings)
    if not settings.database_url:  # the embedded default creates its tables; PostgreSQL: db upgrade
        tree.create_tables()
    vault = build_vault(settings, ledger, create_tables=not settings.database_url)
    background += [
        ClosedOnStop("ledger-tree", tree.close),
        ClosedOnStop("release-secrets", vault.secrets.close),
    ]
    if settings.inprocess_workers or not settings.database_url:
        background += build_background(settings, ledger, catchup, presence, clock, tree=tree, notary=notary)
    metrics = Metrics()
    fresh = FreshAggregates(ledger, watch_changes(settings, ledger))
    ledger.change_listeners.append(fresh.forget)
    key_usage = KeyUsage(store)
    idempotency = IdempotencyStore(store, AeadSeal(ledger.digests.key_for("idempotent-responses")))
    services = Services(
        web=web_settings(settings),
        metrics=metrics,
        limits=build_limits(settings, store, metrics),
        blocklist=Blocklist(store),
        proxies=parse_networks(settings.trusted_proxies),
        ledger=ledger,
        digests=ledger.digests,
        clock=clock,
        presence=presence,
        tokens=keys.token_service(settings),
        reads=ReadModels(store, catchup, lambda: ledger.recorder.max_notification_id() or 0),
        ledger_log=LedgerLog(tree, notary.verifier_key(), ledger),
        readiness=readiness(settings),
        fresh=fresh,
        key_usage=key_usage,
        idempotency=idempotency,
        integrations=integrations.integrations(settings, ledger.digests),
        releases=release_store(settings, vault),
        personal=personal_data_service(ledger, store, catchup.source),
    )
    return services, background


def create_app(
    settings: Settings | None = None,
    *,
    services: tuple[Services, list[Background]] | None = None,
) -> FastAPI:
    """The Keyledger API. Tests pass ``services`` built over their own stores; production passes only
    settings."""
    svc, background = services or build_services(settings or Settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for worker in background:
            worker.start()
        yield
        for worker in reversed(background):
            worker.stop()
        svc.reads.store.close()
        svc.ledger.close()

    return assemble(svc, lifespan)
