"""Liveness and readiness: ``/readyz`` checks every configured service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import AppServices

router = APIRouter(tags=["operations"])


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
    for name, check in svc.readiness.items():
        checks[name] = {"ok": check()}
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
