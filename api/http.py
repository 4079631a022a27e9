"""The HTTP application: every router, the middleware and the error mapping around the services it is
given. ``bootstrap.app.create_app`` builds the services and the lifespan and calls this."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from api.body_limit import BodyLimitMiddleware
from api.errors import install_error_handlers
from api.gate import GateMiddleware
from api.idempotency import IdempotencyMiddleware, IdempotentReplay, idempotency, replay_response
from api.idempotency_doc import document
from api.metrics import MetricsMiddleware
from api.nul_guard import no_nul_in_query
from api.release_uploads import UPLOAD_PATHS
from api.request_ids import RequestIdMiddleware
from api.routes import (
    admin_alerts,
    admin_api_keys,
    admin_crash_reports,
    admin_devices,
    admin_ip_blocks,
    admin_licenses,
    admin_personal_data,
    admin_releases,
    admin_sessions,
    admin_users,
    admin_webhooks,
    audit,
    client_auth,
    client_crash_reports,
    client_devices,
    client_licensing,
    client_releases,
    dashboard,
    health,
    key_set,
    ui_alerts,
    ui_api_keys,
    ui_audit,
    ui_auth,
    ui_crashes,
    ui_dashboard,
    ui_devices,
    ui_erasure,
    ui_ip_blocks,
    ui_licenses,
    ui_releases,
    ui_root,
    ui_users,
    ui_webhooks,
    web_auth,
)
from api.routes import ledger as ledger_routes
from api.routes import metrics as metrics_routes
from api.security_headers import SecurityHeadersMiddleware
from api.services import Services
from api.ui.templating import STATIC

ROUTERS = (
    health,
    web_auth,
    client_auth,
    key_set,
    client_licensing,
    client_devices,
    client_crash_reports,
    client_releases,
    admin_users,
    admin_personal_data,
    admin_licenses,
    admin_devices,
    admin_sessions,
    admin_ip_blocks,
    admin_api_keys,
    admin_webhooks,
    admin_alerts,
    admin_crash_reports,
    admin_releases,
    dashboard,
    audit,
    ledger_routes,
    ui_auth,
    ui_dashboard,
    ui_users,
    ui_erasure,
    ui_licenses,
    ui_devices,
    ui_ip_blocks,
    ui_crashes,
    ui_releases,
    ui_audit,
    ui_alerts,
    ui_webhooks,
    ui_api_keys,
    ui_root,
    metrics_routes,
)
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def assemble(svc: Services, lifespan: Lifespan) -> FastAPI:
    """The Keyledger API over ``svc``; ``lifespan`` starts and stops what the process runs beside it."""
    app = FastAPI(
        dependencies=[Depends(no_nul_in_query), Depends(idempotency)],
        title="Keyledger",
        version="0.1.0",
        description="Event-sourced software licensing ledger.",
        lifespan=lifespan,
    )
    app.state.services = svc
    app.state.metrics = svc.metrics
    install_error_handlers(app)
    app.add_exception_handler(IdempotentReplay, replay_response)
    document(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.add_middleware(IdempotencyMiddleware, store=svc.idempotency, clock=svc.clock)
    app.add_middleware(GateMiddleware)
    uploads = dict.fromkeys(UPLOAD_PATHS, svc.releases.max_upload_bytes)
    app.add_middleware(BodyLimitMiddleware, max_bytes=svc.web.max_body_bytes, overrides=uploads)
    app.add_middleware(SecurityHeadersMiddleware, hsts=(svc.web.public_origin or "").startswith("https://"))
    app.add_middleware(MetricsMiddleware, metrics=svc.metrics)
    app.add_middleware(RequestIdMiddleware)
    return app
