"""The verifiable ledger (DESIGN §8). Who may call what:

- ``/ledger/public-key``: anyone (a public key; witnesses pin it out of band).
- ``/ledger/checkpoint`` and ``/ledger/proofs/*``: every authenticated desktop client (bearer token:
  every client is a witness) and admins (web session). Proofs are hashes; an inclusion proof carries the
  event itself (the leaf bytes) only for an admin, for an event of the caller's own account (its
  account, sessions, devices, licenses) or of a release the caller's license reaches: everyone else gets
  the leaf hash, which is all a proof needs.
- ``/ledger/export``: admins only (it carries every event, personal data included).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from keyledger_verifier import decode_leaf, leaf_hash, parse_checkpoint
from pydantic import BaseModel, Field

from api.deps import AppServices, admin_principal, resolve_client, web_principal
from api.ledger_log import ProofUnavailable
from api.machine_auth import CurrentAdmin
from api.problems import ApiError, responses
from api.schemas import MAX_POSITION
from api.services import Services
from domain.account import Account
from domain.device import Device
from domain.license import License
from domain.release import Release
from domain.session import Session

router = APIRouter(prefix="/ledger", tags=["ledger"])
EXPORT_MEDIA_TYPE = "text/plain; charset=us-ascii"


@dataclass(frozen=True)
class Caller:
    account_id: UUID
    admin: bool


def witness(request: Request, svc: AppServices) -> Caller:
    """A desktop client by its bearer token, else an admin by the web session."""
    if request.headers.get("authorization"):
        return Caller(resolve_client(request, svc).account.id, admin=False)
    return Caller(admin_principal(web_principal(request, svc)).account.id, admin=True)


Witness = Annotated[Caller, Depends(witness)]


def may_read(caller: Caller, leaf: bytes, svc: Services) -> bool:
    """Whether ``caller`` may see the event in ``leaf``: admins any, others their own account's, and the
    events of a release their license reaches (public records: they carry no personal data, and a client
    checks a download against them)."""
    if caller.admin:
        return True
    aggregate = svc.ledger.find(Aggregate, UUID(decode_leaf(leaf).originator_id))
    if isinstance(aggregate, Release):
        granted = svc.ledger.entitlement(caller.account_id, svc.clock())
        return granted.state.valid and granted.tier is not None and aggregate.reaches(granted.tier)
    owner = getattr(aggregate, "account_id", getattr(aggregate, "id", None))
    return isinstance(aggregate, Account | Session | Device | License) and owner == caller.account_id


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def out_of_range(error: ProofUnavailable) -> ApiError:
    return ApiError(422, "out_of_range", str(error))


class CheckpointOut(BaseModel):
    origin: str
    tree_size: int
    root_hash: str
    note: str
    signed_at: str


class InclusionOut(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str = Field(description="RFC 6962 leaf hash (base64): what the proof needs")
    leaf: str | None = Field(
        default=None, description="the leaf bytes (base64): only for an admin or the caller's own event"
    )
    proof: list[str]


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str]


class PublicKeyOut(BaseModel):
    origin: str
    algorithm: str
    public_key: str
    verifier_key: str


@router.get("/checkpoint", response_model=CheckpointOut, responses=responses(401, 403, 404))
def checkpoint(caller: Witness, svc: AppServices) -> CheckpointOut:
    """The latest signed checkpoint: a C2SP signed note of the tree's origin, size and root."""
    found = latest_checkpoint(svc)
    if found is None:
        raise ApiError(404, "no_checkpoint", "nothing has been sealed yet")
    return found


def latest_checkpoint(svc: Services, *, recent: bool = False) -> CheckpointOut | None:
    """The latest signed checkpoint as it is served, or None before any; ``recent``: one at most
    ``RECENT_S`` old (what heartbeats carry)."""
    found = svc.ledger_log.recent_checkpoint() if recent else svc.ledger_log.checkpoint()
    if found is None:
        return None
    body = parse_checkpoint(found.note[: found.note.rfind("\n\n") + 1])
    return CheckpointOut(
        origin=body.origin,
        tree_size=found.size,
        root_hash=b64(found.root),
        note=found.note,
        signed_at=found.signed_at,
    )


@router.get("/proofs/inclusion", response_model=InclusionOut, responses=responses(401, 403, 422))
def inclusion(
    caller: Witness,
    svc: AppServices,
    index: Annotated[int, Query(ge=0, le=MAX_POSITION)],
    tree_size: Annotated[int, Query(ge=1)],
) -> InclusionOut:
    """The leaf bytes at ``index`` and the RFC 6962 audit path to the root of ``tree_size`` leaves."""
    try:
        leaf, proof = svc.ledger_log.inclusion(index, tree_size)
    except ProofUnavailable as error:
        raise out_of_range(error) from None
    return InclusionOut(
        index=index,
        tree_size=tree_size,
        leaf_hash=b64(leaf_hash(leaf)),
        leaf=b64(leaf) if may_read(caller, leaf, svc) else None,
        proof=[b64(h) for h in proof],
    )


@router.get("/proofs/consistency", response_model=ConsistencyOut, responses=responses(401, 403, 422))
def consistency(
    caller: Witness,
    svc: AppServices,
    first: Annotated[int, Query(ge=0, le=MAX_POSITION)],
    second: Annotated[int, Query(ge=0, le=MAX_POSITION)],
) -> ConsistencyOut:
    """The RFC 6962 consistency proof that the tree of ``first`` leaves is a prefix of ``second``."""
    try:
        proof = svc.ledger_log.consistency(first, second)
    except ProofUnavailable as error:
        raise out_of_range(error) from None
    return ConsistencyOut(first=first, second=second, proof=[b64(h) for h in proof])


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={**responses(401, 403, 422), 200: {"content": {EXPORT_MEDIA_TYPE: {}}}},
)
def export(
    admin: CurrentAdmin,
    svc: AppServices,
    start: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    end: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="default: the latest signed size")
    ] = None,
) -> StreamingResponse:
    """Leaves [start, end) with their decoded events, framed by the latest signed checkpoint (format
    in docs/ledger.md); streamed in constant memory."""
    try:
        frame = svc.ledger_log.frame(start, end)
    except ProofUnavailable as error:
        raise out_of_range(error) from None
    name = f"keyledger-export-{frame.start}-{frame.end}.txt"
    return StreamingResponse(
        svc.ledger_log.export(frame),
        media_type=EXPORT_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/public-key", response_model=PublicKeyOut)
def public_key(svc: AppServices) -> PublicKeyOut:
    """The checkpoint key: raw Ed25519 (base64) and the C2SP verifier key that witnesses pin."""
    key = svc.ledger_log.key
    return PublicKeyOut(
        origin=key.name,
        algorithm="Ed25519",
        public_key=b64(key.public_key.public_bytes_raw()),
        verifier_key=svc.ledger_log.verifier_key(),
    )
