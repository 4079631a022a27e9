"""Admin: IP blocks — block an address or network (with reason and optional end), unblock."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from api import lists
from api.deps import AppServices, client_ip
from api.listing import Listing, ListPage, page_of
from api.machine_auth import CurrentAdmin
from api.problems import ApiError, responses
from api.schemas import Body, Reason, Written
from domain.ip_address import covers

router = APIRouter(prefix="/admin/ip-blocks", tags=["admin: IP blocks"])
ERRORS = responses(401, 403, 404, 409, 422)


class Block(Body):
    address: Annotated[str, Field(min_length=2, max_length=64, description="an address or a CIDR network")]
    reason: Reason
    until: datetime | None = None
    confirm_own_network: bool = Field(
        default=False, description="block it even though it covers your own address (you lose access)"
    )


class BlockWritten(Written):
    network: str


@router.get("", response_model=ListPage, responses=responses(401, 403, 422, 503))
def list_blocks(
    admin: CurrentAdmin,
    svc: AppServices,
    params: Listing,
    active: Annotated[bool, Query(description="only blocks still in force")] = True,
    sort: Literal["blocked_at", "blocked_until", "network", "failures"] = "blocked_at",
) -> ListPage:
    """Blocked addresses and networks with reason, who blocked them, and when the block ends."""
    return page_of(lists.blocks(svc, active, params.cut(sort), params.position))


@router.post("", status_code=201, response_model=BlockWritten, responses=ERRORS)
def block(body: Block, admin: CurrentAdmin, request: Request, svc: AppServices) -> BlockWritten:
    """Blocks an address (IPv6 per /64) or a network; its clients get 403 before any work is done. A
    block that covers the caller's own address is refused (409 ``blocks_own_address``) unless confirmed."""
    own = client_ip(request)
    if own is not None and covers(body.address, own) and not body.confirm_own_network:
        raise ApiError(
            409,
            "blocks_own_address",
            f"{body.address} covers your own address {own}: every admin behind it would be locked out; "
            "send confirm_own_network=true to block it anyway",
        )
    written = svc.ledger.block_ip(body.address, body.until, svc.clock(), admin.context(request, body.reason))
    return BlockWritten(position=written.position, network=written.value)


@router.delete("/{ip:path}", response_model=BlockWritten, responses=ERRORS)
def unblock(
    ip: Annotated[str, Path(max_length=64, description="the blocked address or network")],
    admin: CurrentAdmin,
    request: Request,
    svc: AppServices,
) -> BlockWritten:
    """Lifts a block."""
    written = svc.ledger.unblock_ip(ip, svc.clock(), admin.context(request))
    return BlockWritten(position=written.position, network=written.value)
