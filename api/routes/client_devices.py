"""The caller's own devices: the desktop client's "which machines use my slots" view."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AppServices, CurrentClient
from api.problems import responses
from domain.heartbeats import is_online

router = APIRouter(prefix="/client", tags=["desktop licensing"])


class OwnDevice(BaseModel):
    id: str
    nickname: str
    client_version: str
    current: bool
    online: bool
    last_seen: datetime | None


class OwnDevices(BaseModel):
    device_limit: int
    devices: list[OwnDevice]


@router.get("/devices", response_model=OwnDevices, responses=responses(401))
def own_devices(principal: CurrentClient, svc: AppServices) -> OwnDevices:
    """The devices bound to the caller's account (from the write model), with presence; only ever the
    caller's own."""
    now = svc.clock()
    found = []
    for device_id in principal.account.device_ids:
        device = svc.ledger.device(device_id)
        seen = svc.presence.last_seen(device_id)
        found.append(
            OwnDevice(
                id=str(device.id),
                nickname=device.nickname,
                client_version=device.client_version,
                current=device.id == principal.claims.device_id,
                online=is_online(seen, now),
                last_seen=seen.at if seen else None,
            )
        )
    return OwnDevices(device_limit=principal.account.device_limit, devices=found)
