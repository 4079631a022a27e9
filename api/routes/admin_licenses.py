"""Admin: license keys — issue a batch (keys shown once), read, suspend, reinstate, revoke, extend."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api import lists
from api.deps import AppServices
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import responses
from api.schemas import Body, Reason, Written
from domain.license import License
from domain.roles import parse_tier
from projections.licenses import LicenseFilter

router = APIRouter(prefix="/admin/licenses", tags=["admin: licenses"])
ERRORS = responses(401, 403, 404, 409, 422)


class IssueLicenses(Body):
    count: int = 1
    days: int
    tier: str = "user"
    device_limit: int = 1
    note: str = ""


class IssuedKeyView(BaseModel):
    license_id: str
    key: str


class Issued(Written):
    keys: list[IssuedKeyView]


class LicenseView(BaseModel):
    id: str
    status: str
    days: int
    tier: str
    device_limit: int
    note: str
    batch_id: str
    account_id: str | None
    activated_at: datetime | None


class Action(Body):
    reason: Reason | None = None


class Extend(Body):
    days: int
    reason: Reason | None = None


class LicenseWritten(Written):
    license: LicenseView


def license_view(lic: License) -> LicenseView:
    return LicenseView(
        id=str(lic.id),
        status=lic.status.value,
        days=lic.days,
        tier=lic.tier.value,
        device_limit=lic.device_limit,
        note=lic.note,
        batch_id=str(lic.batch_id),
        account_id=str(lic.account_id) if lic.account_id else None,
        activated_at=lic.activated_at,
    )


@router.post("", status_code=201, response_model=Issued, responses=ERRORS)
def issue(body: IssueLicenses, admin: CurrentAdmin, request: Request, svc: AppServices) -> Issued:
    """Issues ``count`` keys; this response is the only time the keys are shown."""
    written = svc.ledger.issue_licenses(
        body.count,
        body.days,
        parse_tier(body.tier),
        body.device_limit,
        body.note,
        svc.clock(),
        admin.context(request),
    )
    keys = [IssuedKeyView(license_id=str(k.license_id), key=k.key) for k in written.value]
    return Issued(position=written.position, keys=keys)


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_licenses(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    status: Literal["available", "active", "suspended", "revoked"] | None = None,
    account_id: UUID | None = None,
    batch_id: UUID | None = None,
    sort: Literal["issued_at", "activated_at", "status", "days"] = "issued_at",
) -> ListPage:
    """Licenses from the read model: filter by status, account or batch; sort; cursor pagination."""
    f = LicenseFilter(status, str(account_id) if account_id else None, str(batch_id) if batch_id else None)
    return page_of(lists.licenses_page(svc, f, params.cut(sort), params.position))


@router.get("/{license_id}", response_model=LicenseView, responses=responses(401, 403, 404, 422))
def get_license(license_id: UUID, admin: CurrentAdmin, svc: AppServices) -> LicenseView:
    """One license as the ledger holds it now."""
    return license_view(svc.ledger.license(license_id))


def _answer(svc: AppServices, license_id: UUID, position: int | None) -> LicenseWritten:
    return LicenseWritten(position=position, license=license_view(svc.ledger.license(license_id)))


@router.post("/{license_id}/suspend", response_model=LicenseWritten, responses=ERRORS)
def suspend(
    license_id: UUID, body: Action, admin: CurrentAdmin, request: Request, svc: AppServices
) -> LicenseWritten:
    """Suspends a license: its account's heartbeats report ``license_suspended``."""
    written = svc.ledger.suspend_license(license_id, svc.clock(), admin.context(request, body.reason))
    return _answer(svc, license_id, written.position)


@router.post("/{license_id}/reinstate", response_model=LicenseWritten, responses=ERRORS)
def reinstate(
    license_id: UUID, body: Action, admin: CurrentAdmin, request: Request, svc: AppServices
) -> LicenseWritten:
    """Lifts a suspension."""
    written = svc.ledger.reinstate_license(license_id, svc.clock(), admin.context(request, body.reason))
    return _answer(svc, license_id, written.position)


@router.post("/{license_id}/revoke", response_model=LicenseWritten, responses=ERRORS)
def revoke(
    license_id: UUID, body: Action, admin: CurrentAdmin, request: Request, svc: AppServices
) -> LicenseWritten:
    """Revokes a license for good; its days leave the account's expiry."""
    written = svc.ledger.revoke_license(license_id, svc.clock(), admin.context(request, body.reason))
    return _answer(svc, license_id, written.position)


@router.post("/{license_id}/extend", response_model=LicenseWritten, responses=ERRORS)
def extend(
    license_id: UUID, body: Extend, admin: CurrentAdmin, request: Request, svc: AppServices
) -> LicenseWritten:
    """Adds days to a license (an activated one extends its account's expiry)."""
    written = svc.ledger.extend_license(
        license_id, body.days, svc.clock(), admin.context(request, body.reason)
    )
    return _answer(svc, license_id, written.position)
