"""Admin: webhook endpoints — register (the signing secret is shown once), list, read, change, rotate the
secret (the old one stays valid for 24 hours), disable, enable, remove; the delivery log of an endpoint
and a manual re-send. URLs that resolve to private, loopback or link-local addresses are refused unless
the operator allowed that network (``KEYLEDGER_WEBHOOK_ALLOW_NETWORKS``)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from api.deps import AppServices
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import responses
from api.schemas import MAX_POSITION, NO_NUL, Body, Written
from domain.webhook import WebhookEndpoint
from projections import deliveries, webhooks

router = APIRouter(prefix="/admin/webhooks", tags=["admin: webhooks"])
ERRORS = responses(401, 403, 404, 409, 422)
Url = Annotated[str, Field(min_length=8, max_length=2000, pattern=NO_NUL)]
EventTypes = Annotated[
    list[Annotated[str, Field(max_length=82)]],
    Field(min_length=1, max_length=50, description="e.g. License.Issued, Alert.*, or * for every event"),
]
Description = Annotated[str, Field(max_length=200, pattern=NO_NUL)]


class Register(Body):
    url: Url
    event_types: EventTypes
    description: Description = ""


class Change(Body):
    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None


class EndpointView(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    removed: bool
    disabled_for_failing: bool


class Registered(Written):
    endpoint: EndpointView
    secret: str = Field(description="whsec_...: verifies the webhook-signature header; shown this once")


class EndpointWritten(Written):
    endpoint: EndpointView


class Empty(Body):
    pass


def endpoint_view(endpoint: WebhookEndpoint) -> EndpointView:
    return EndpointView(
        id=str(endpoint.id),
        url=endpoint.url,
        event_types=list(endpoint.event_types),
        description=endpoint.description,
        enabled=endpoint.enabled,
        removed=endpoint.removed,
        disabled_for_failing=endpoint.disabled_for_failing,
    )


def answer(svc: AppServices, endpoint_id: UUID, position: int | None) -> EndpointWritten:
    return EndpointWritten(position=position, endpoint=endpoint_view(svc.ledger.webhook(endpoint_id)))


@router.post("", status_code=201, response_model=Registered, responses=ERRORS)
def register(body: Register, admin: CurrentAdmin, request: Request, svc: AppServices) -> Registered:
    """Registers an endpoint for the given event types; the response shows its signing secret once."""
    svc.integrations.guard.check(body.url)
    secret, sealed = svc.integrations.secrets.new()
    written = svc.ledger.register_webhook(
        body.url, body.event_types, body.description, sealed, svc.clock(), admin.context(request)
    )
    view = endpoint_view(svc.ledger.webhook(written.value))
    return Registered(position=written.position, endpoint=view, secret=secret)


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_endpoints(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    removed: Annotated[bool, Query(description="include removed endpoints")] = False,
    sort: Literal["registered_at", "url"] = "registered_at",
) -> ListPage:
    """Endpoints from the read model (never their secrets)."""
    found = svc.reads.query(
        params.position, lambda tx: webhooks.list_endpoints(tx, removed, params.cut(sort))
    )
    page = page_of(found)
    for item in page.items:
        item["event_types"] = str(item["event_types"]).split()
    return page


@router.get("/{endpoint_id}", response_model=EndpointView, responses=responses(401, 403, 404, 422))
def get_endpoint(endpoint_id: UUID, admin: CurrentAdmin, svc: AppServices) -> EndpointView:
    """One endpoint as the ledger holds it now."""
    return endpoint_view(svc.ledger.webhook(endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointWritten, responses=ERRORS)
def change(
    endpoint_id: UUID, body: Change, admin: CurrentAdmin, request: Request, svc: AppServices
) -> EndpointWritten:
    """Changes the URL (checked again), the event types or the description."""
    endpoint = svc.ledger.webhook(endpoint_id)
    url = body.url or endpoint.url
    if body.url is not None:
        svc.integrations.guard.check(url)
    types = body.event_types or list(endpoint.event_types)
    description = endpoint.description if body.description is None else body.description
    written = svc.ledger.update_webhook(
        endpoint_id, url, types, description, svc.clock(), admin.context(request)
    )
    return answer(svc, endpoint_id, written.position)


@router.post("/{endpoint_id}/rotate-secret", response_model=Registered, responses=ERRORS)
def rotate_secret(
    endpoint_id: UUID, body: Empty, admin: CurrentAdmin, request: Request, svc: AppServices
) -> Registered:
    """A new signing secret (shown once); deliveries carry both signatures for 24 hours."""
    secret, sealed = svc.integrations.secrets.new()
    written = svc.ledger.rotate_webhook_secret(endpoint_id, sealed, svc.clock(), admin.context(request))
    view = endpoint_view(svc.ledger.webhook(endpoint_id))
    return Registered(position=written.position, endpoint=view, secret=secret)


@router.post("/{endpoint_id}/disable", response_model=EndpointWritten, responses=ERRORS)
def disable(
    endpoint_id: UUID, body: Empty, admin: CurrentAdmin, request: Request, svc: AppServices
) -> EndpointWritten:
    """Stops deliveries to the endpoint: events from now on are not sent to it; deliveries already in
    line wait and resume when it is enabled."""
    written = svc.ledger.disable_webhook(endpoint_id, False, svc.clock(), admin.context(request))
    return answer(svc, endpoint_id, written.position)


@router.post("/{endpoint_id}/enable", response_model=EndpointWritten, responses=ERRORS)
def enable(
    endpoint_id: UUID, body: Empty, admin: CurrentAdmin, request: Request, svc: AppServices
) -> EndpointWritten:
    """Resumes deliveries (waiting ones start a fresh retry schedule)."""
    written = svc.ledger.enable_webhook(endpoint_id, svc.clock(), admin.context(request))
    return answer(svc, endpoint_id, written.position)


@router.delete("/{endpoint_id}", response_model=EndpointWritten, responses=ERRORS)
def remove(endpoint_id: UUID, admin: CurrentAdmin, request: Request, svc: AppServices) -> EndpointWritten:
    """Removes the endpoint for good."""
    written = svc.ledger.remove_webhook(endpoint_id, svc.clock(), admin.context(request))
    return answer(svc, endpoint_id, written.position)


@router.get("/{endpoint_id}/deliveries", response_model=ListPage, responses=responses(401, 403, 404, 422))
def delivery_log(endpoint_id: UUID, admin: CurrentAdmin, svc: AppServices, params: Listing) -> ListPage:
    """The endpoint's deliveries, newest first: attempts, last status or error, next retry."""
    svc.ledger.webhook(endpoint_id)
    order = params.cut("position")
    return page_of(svc.reads.query(None, lambda tx: deliveries.log_of(tx, str(endpoint_id), order)))


@router.post("/{endpoint_id}/deliveries/{position}/resend", response_model=Written, responses=ERRORS)
def resend(
    endpoint_id: UUID,
    position: Annotated[int, Path(ge=1, le=MAX_POSITION)],
    body: Empty,
    admin: CurrentAdmin,
    request: Request,
    svc: AppServices,
) -> Written:
    """Sends an event to the endpoint again (an event; the worker puts the delivery back in line)."""
    written = svc.ledger.resend_webhook(endpoint_id, position, svc.clock(), admin.context(request))
    return Written(position=written.position)
