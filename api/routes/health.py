"""Liveness and readiness: ``/readyz`` checks every configured service."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlparse

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import AppServices

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT_S = 1.0


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), CHECK_TIMEOUT_S
        ):
            return True
    except OSError:
        return False


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a configured service is unreachable"}})
def readyz(svc: AppServices) -> JSONResponse:
    """Ready when the event store answers and every configured service (Redis, NATS) is reachable."""
    checks: dict[str, Any] = {}
    try:
        checks["event_store"] = {"ok": True, "position": svc.ledger.recorder.max_notification_id() or 0}
    except Exception as error:
        checks["event_store"] = {"ok": False, "error": type(error).__name__}
    if svc.settings.redis_url:
        checks["redis"] = {"ok": reachable(svc.settings.redis_url, 6379)}
    if svc.settings.nats_url:
        checks["nats"] = {"ok": reachable(svc.settings.nats_url, 4222)}
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
