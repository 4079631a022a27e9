"""The signed lease-key set (``GET /.well-known/keyledger-keys.jws``): how a desktop client that pins the
lease-signing key learns the next one during a rotation (``api.key_set``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import AppServices
from api.key_set import MEDIA_TYPE, signed_key_set

router = APIRouter(tags=["keys"])


@router.get(
    "/.well-known/keyledger-keys.jws",
    response_class=JSONResponse,
    responses={200: {"content": {MEDIA_TYPE: {}}, "description": "a JWS (general JSON serialization)"}},
)
def key_set(svc: AppServices) -> JSONResponse:
    """The keys that sign leases and access tokens (the current one, and the next during a rotation),
    signed by every key the server holds; a client accepts it only when a key it already trusts signed it."""
    tokens = svc.tokens
    document = signed_key_set(tokens.published(), tokens.vouching(), tokens.issuer, svc.clock())
    return JSONResponse(document, media_type=MEDIA_TYPE, headers={"Cache-Control": "no-store"})
