"""Desktop licensing: activate a key, read the license, heartbeat with a signed offline lease."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from api.deps import AppServices, CurrentClient, client_ip, resolve_client
from api.problems import responses
from api.routes.ledger import CheckpointOut, latest_checkpoint
from api.schemas import Body, Written
from domain.entitlement import license_verdict
from domain.heartbeats import GRACE, NEXT_HEARTBEAT, Seen, lease_tier, verdict

router = APIRouter(prefix="/client", tags=["desktop licensing"])


class ActivateRequest(Body):
    key: Annotated[str, Field(min_length=1, max_length=64)]


class ActivateResponse(Written):
    license_id: str
    license_expiry: datetime
    role: str
    device_limit: int
    replayed: bool


class LicenseResponse(BaseModel):
    valid: bool
    code: str | None
    license_expiry: datetime | None
    role: str
    device_limit: int
    devices_used: int
    server_time: datetime


class HeartbeatRequest(Body):
    client_version: Annotated[str, Field(max_length=32)] | None = None


class HeartbeatResponse(BaseModel):
    valid: bool
    code: str | None
    license_expiry: datetime | None
    server_time: datetime
    next_heartbeat_s: int
    grace_s: int
    lease: str = Field(
        description="EdDSA JWT (typ lease) with valid, code, license_expiry and tier (user or vip), "
        "verifiable offline with the lease-signing key"
    )
    checkpoint: CheckpointOut | None = Field(default=None, description="latest signed ledger checkpoint")


@router.post("/licenses/activate", response_model=ActivateResponse, responses=responses(401, 404, 409, 422))
def activate(
    body: ActivateRequest,
    principal: CurrentClient,
    request: Request,
    svc: AppServices,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ActivateResponse:
    """Activates a license key on the caller's account (``Idempotency-Key`` makes a retry safe)."""
    written = svc.ledger.activate_license(
        principal.account.id,
        body.key,
        svc.clock(),
        principal.context(request),
        idempotency_key=idempotency_key,
    )
    account = svc.ledger.account(principal.account.id)
    return ActivateResponse(
        position=written.position,
        license_id=str(written.value.license_id),
        license_expiry=written.value.expires_at,
        role=account.role.value,
        device_limit=account.device_limit,
        replayed=written.replayed,
    )


@router.get("/license", response_model=LicenseResponse, responses=responses(401))
def license_status(principal: CurrentClient, svc: AppServices) -> LicenseResponse:
    """Whether the caller's license is valid now, and why not."""
    now = svc.clock()
    account = principal.account
    state = license_verdict(account, principal.suspended, now)
    return LicenseResponse(
        valid=state.valid,
        code=state.code,
        license_expiry=state.expires_at,
        role=account.role.value,
        device_limit=account.device_limit,
        devices_used=len(account.device_ids),
        server_time=now,
    )


@router.post("/heartbeat", response_model=HeartbeatResponse, responses=responses(401, 422))
def heartbeat(body: HeartbeatRequest, request: Request, svc: AppServices) -> HeartbeatResponse:
    """Records presence (no event) and returns the license state with a lease valid for the grace period."""
    principal = resolve_client(request, svc, allow_released=True)
    now, account = svc.clock(), principal.account
    state = verdict(
        principal.session.is_open,
        account.license_expiry,
        lambda: license_verdict(account, principal.suspended, now),
    )
    svc.presence.touch(principal.claims.device_id, Seen(now, client_ip(request), body.client_version))
    expiry = state.expires_at.isoformat() if state.expires_at else None
    lease_body = {
        "valid": state.valid,
        "code": state.code,
        "license_expiry": expiry,
        "tier": lease_tier(account.role),
    }
    lease = svc.tokens.issue_lease(principal.claims, lease_body, now, GRACE)
    return HeartbeatResponse(
        valid=state.valid,
        code=state.code,
        license_expiry=state.expires_at,
        server_time=now,
        next_heartbeat_s=int(NEXT_HEARTBEAT.total_seconds()),
        grace_s=int(GRACE.total_seconds()),
        lease=lease,
        checkpoint=latest_checkpoint(svc, recent=True),
    )
