"""``create_app(settings)``: the API process's one composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from api import metrics as metrics_routes
from api.background import build_background
from api.blocklist import Blocklist
from api.body_limit import BodyLimitMiddleware
from api.checkpoint_key import load_notary
from api.client_address import parse_networks
from api.deps import limit_requests, refuse_blocked
from api.errors import install_error_handlers
from api.keyfiles import load_index_key
from api.ledger_log import LedgerLog
from api.limits import build_limits
from api.metrics import Metrics, MetricsMiddleware
from api.passwords import Argon2Hasher, GatedHasher, PasswordSeal
from api.readmodels import ReadModels
from api.request_ids import RequestIdMiddleware
from api.routes import (
    admin_devices,
    admin_ip_blocks,
    admin_licenses,
    admin_sessions,
    admin_users,
    audit,
    client_auth,
    client_devices,
    client_licensing,
    dashboard,
    health,
    ui_audit,
    ui_auth,
    ui_dashboard,
    ui_devices,
    ui_ip_blocks,
    ui_licenses,
    ui_users,
    web_auth,
)
from api.routes import ledger as ledger_routes
from api.security_headers import SecurityHeadersMiddleware
from api.services import Clock, Services, utc_now
from api.settings import Settings
from api.signing import load_signing_key
from api.stores import build_ledger, build_presence, build_read_store
from api.tokens import TokenService
from api.ui.templating import STATIC
from domain.digests import Digests
from domain.ledger.service import Ledger
from projections import catalogue
from projections.runner import Catchup
from projections.store import ReadStore
from workers.background import Background, ClosedOnStop
from workers.events import LedgerEvents
from workers.ledger_db import ledger_db
from workers.merkle_store import TreeStore

ROUTERS = (
    health,
    web_auth,
    client_auth,
    client_licensing,
    client_devices,
    admin_users,
    admin_licenses,
    admin_devices,
    admin_sessions,
    admin_ip_blocks,
    dashboard,
    audit,
    ledger_routes,
    ui_auth,
    ui_dashboard,
    ui_users,
    ui_licenses,
    ui_devices,
    ui_ip_blocks,
    ui_audit,
)


def build_services(
    settings: Settings,
    ledger: Ledger | None = None,
    clock: Clock = utc_now,
    read_store: ReadStore | None = None,
) -> Services:
    """Everything the routes need. Without separate worker processes (the embedded default, or
    ``KEYLEDGER_INPROCESS_WORKERS``) the projection worker runs in this process, woken by each write."""
    digests = Digests(load_index_key(settings.data_dir))
    if ledger is None:
        seal = PasswordSeal(digests.key_for("password-seal"))
        hasher = GatedHasher(Argon2Hasher.from_settings(settings, seal), settings.hash_concurrency)
        ledger = build_ledger(settings, hasher=hasher, create_tables=not settings.database_url)
    store = read_store or build_read_store(settings)
    catchup = Catchup(store, catalogue.ALL, LedgerEvents(ledger))
    catchup.create_tables()
    presence = build_presence(settings)
    tree = TreeStore(ledger_db(ledger))
    if not settings.database_url:  # the embedded default creates its tables; PostgreSQL: db upgrade
        tree.create_tables()
    notary = load_notary(settings)
    background: list[Background] = [ClosedOnStop("ledger-tree", tree.db.close)]
    if settings.inprocess_workers or not settings.database_url:
        background += build_background(settings, ledger, catchup, presence, clock, tree=tree, notary=notary)
    metrics = Metrics()
    return Services(
        settings=settings,
        metrics=metrics,
        limits=build_limits(settings, store, metrics),
        blocklist=Blocklist(store),
        proxies=parse_networks(settings.trusted_proxies),
        ledger=ledger,
        digests=digests,
        clock=clock,
        presence=presence,
        tokens=TokenService(load_signing_key(settings.data_dir), settings.issuer),
        reads=ReadModels(store, catchup, lambda: ledger.recorder.max_notification_id() or 0),
        background=background,
        ledger_log=LedgerLog(tree, notary.verifier_key(), ledger),
    )


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """The Keyledger API. Tests pass ``services`` built with fakes; production passes only settings."""
    svc = services or build_services(settings or Settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for worker in svc.background:
            worker.start()
        yield
        for worker in reversed(svc.background):
            worker.stop()
        svc.reads.store.close()
        svc.ledger.close()

    app = FastAPI(
        dependencies=[Depends(refuse_blocked), Depends(limit_requests)],
        title="Keyledger",
        version="0.1.0",
        description="Event-sourced software licensing ledger.",
        lifespan=lifespan,
    )
    app.state.services = svc
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.state.metrics = svc.metrics
    app.include_router(metrics_routes.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.add_middleware(BodyLimitMiddleware, max_bytes=svc.settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestIdMiddleware)
    return app
