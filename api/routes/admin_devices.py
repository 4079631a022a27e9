"""Admin: devices — read, rename, release (frees a slot and closes the device's sessions)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api import lists
from api.deps import AppServices
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import responses
from api.schemas import NO_NUL, Body, Reason, Written
from domain.device import Device
from projections.devices import DeviceFilter

router = APIRouter(prefix="/admin/devices", tags=["admin: devices"])
ERRORS = responses(401, 403, 404, 409, 422)


class DeviceView(BaseModel):
    id: str
    account_id: str
    nickname: str
    client_version: str
    released: bool
    has_public_key: bool


class Rename(Body):
    nickname: Annotated[str, Field(min_length=1, max_length=64)]


class Release(Body):
    reason: Reason | None = None


class DeviceWritten(Written):
    device: DeviceView


def device_view(device: Device) -> DeviceView:
    return DeviceView(
        id=str(device.id),
        account_id=str(device.account_id),
        nickname=device.nickname,
        client_version=device.client_version,
        released=device.released,
        has_public_key=device.public_key is not None,
    )


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_devices(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    account_id: UUID | None = None,
    search: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="part of a nickname")
    ] = None,
    released: bool | None = None,
    sort: Literal["bound_at", "nickname", "client_version"] = "bound_at",
) -> ListPage:
    """Devices from the read model with their presence (last seen, online, address, client version)."""
    f = DeviceFilter(str(account_id) if account_id else None, search, released)
    page = page_of(lists.devices_page(svc, f, params.cut(sort), params.position))
    for item in page.items:
        item["last_seen"] = item["last_seen"].isoformat() if item["last_seen"] else None
    return page


@router.get("/{device_id}", response_model=DeviceView, responses=responses(401, 403, 404, 422))
def get_device(device_id: UUID, admin: CurrentAdmin, svc: AppServices) -> DeviceView:
    """One device as the ledger holds it now."""
    return device_view(svc.ledger.device(device_id))


@router.patch("/{device_id}", response_model=DeviceWritten, responses=ERRORS)
def rename(
    device_id: UUID, body: Rename, admin: CurrentAdmin, request: Request, svc: AppServices
) -> DeviceWritten:
    """Renames a device."""
    written = svc.ledger.rename_device(device_id, body.nickname, svc.clock(), admin.context(request))
    return DeviceWritten(position=written.position, device=device_view(svc.ledger.device(device_id)))


@router.post("/{device_id}/release", response_model=DeviceWritten, responses=ERRORS)
def release(
    device_id: UUID, body: Release, admin: CurrentAdmin, request: Request, svc: AppServices
) -> DeviceWritten:
    """Releases a device: its slot is freed and its desktop sessions close."""
    written = svc.ledger.release_device(device_id, svc.clock(), admin.context(request, body.reason))
    return DeviceWritten(position=written.position, device=device_view(svc.ledger.device(device_id)))
