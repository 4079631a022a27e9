"""Admin: API keys for machines — create (the token is shown once), list with last use, revoke. Only an
admin's web session manages keys: no API key may (a leaked key cannot mint others)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import AppServices
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import responses
from api.schemas import Body, Reason, Written
from domain.api_key import ApiKey, Scope
from projections import api_keys

router = APIRouter(prefix="/admin/api-keys", tags=["admin: API keys"])
ERRORS = responses(401, 403, 404, 409, 422)


class CreateKey(Body):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(Scope))]
    expires_at: datetime | None = Field(default=None, description="none: until revoked")


class ApiKeyView(BaseModel):
    id: str
    name: str
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedKey(Written):
    key: ApiKeyView
    token: str = Field(description="Authorization: Bearer <token>; shown this once, never stored")


class Revoke(Body):
    reason: Reason | None = None


class KeyWritten(Written):
    key: ApiKeyView


def key_view(key: ApiKey, last_used: datetime | None) -> ApiKeyView:
    return ApiKeyView(
        id=str(key.id),
        name=key.name,
        scopes=[s.value for s in key.scopes],
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=last_used,
    )


@router.post("", status_code=201, response_model=CreatedKey, responses=ERRORS)
def create(body: CreateKey, admin: CurrentAdmin, request: Request, svc: AppServices) -> CreatedKey:
    """Creates a key with the given scopes; this response is the only time its token is shown."""
    written = svc.ledger.create_api_key(
        body.name, [s.value for s in body.scopes], body.expires_at, svc.clock(), admin.context(request)
    )
    key = svc.ledger.api_key(written.value.key_id)
    return CreatedKey(position=written.position, key=key_view(key, None), token=written.value.token)


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_keys(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    active: Annotated[bool, Query(description="only keys not revoked")] = False,
    sort: Literal["created_at", "name"] = "created_at",
) -> ListPage:
    """Keys from the read model (never their secrets), with the time each was last used."""
    found = page_of(
        svc.reads.query(params.position, lambda tx: api_keys.list_keys(tx, active, params.cut(sort)))
    )
    used = svc.key_usage.last_used()
    for item in found.items:
        item["scopes"] = str(item["scopes"]).split()
        item["last_used_at"] = used[item["id"]].isoformat() if item["id"] in used else None
    return found


@router.get("/{key_id}", response_model=ApiKeyView, responses=responses(401, 403, 404, 422))
def get_key(key_id: UUID, admin: CurrentAdmin, svc: AppServices) -> ApiKeyView:
    """One key as the ledger holds it now."""
    return key_view(svc.ledger.api_key(key_id), svc.key_usage.last_used().get(str(key_id)))


@router.post("/{key_id}/revoke", response_model=KeyWritten, responses=ERRORS)
def revoke(key_id: UUID, body: Revoke, admin: CurrentAdmin, request: Request, svc: AppServices) -> KeyWritten:
    """Revokes a key for good: its next request is refused (and noted as an event)."""
    written = svc.ledger.revoke_api_key(key_id, svc.clock(), admin.context(request, body.reason))
    key = svc.ledger.api_key(key_id)
    return KeyWritten(
        position=written.position, key=key_view(key, svc.key_usage.last_used().get(str(key_id)))
    )
