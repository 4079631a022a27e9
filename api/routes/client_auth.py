"""Desktop authentication: login with a device fingerprint, refresh-token rotation, logout, JWKS."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import Field

from api.deps import AppServices, CurrentClient, audit_context, client_ip, login_limits
from api.device_keys import PublicKeyHex, Suite, checked_device_key
from api.problems import ApiError, responses
from api.schemas import Body, Password, Username, Written
from api.services import Services
from api.tokens import ACCESS_LIFETIME, AccessClaims
from domain.errors import InvalidInput
from domain.ledger.sessions import SessionToken, session_id_of
from domain.session import CloseReason, Session, SessionKind

router = APIRouter(tags=["desktop authentication"])


class Fingerprint(Body):
    components: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=128)]] = Field(
        description="component name → hex digest (salted on the client, keyed HMAC on the server)",
        max_length=16,
    )


class ClientLoginRequest(Body):
    username: Username
    password: Password
    fingerprint: Fingerprint
    public_key: PublicKeyHex | None = None
    public_key_suite: Suite | None = Field(
        default=None, description="the key's suite; by its length if unset"
    )
    nickname: Annotated[str, Field(max_length=64)] = "My device"
    client_version: Annotated[str, Field(max_length=32)] = ""


class TokenResponse(Written):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 -- the OAuth token type, not a secret
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    session_id: str
    device_id: str
    license_expiry: datetime | None


class RefreshRequest(Body):
    refresh_token: Annotated[str, Field(max_length=200)]


def token_response(
    svc: Services, account_id: UUID, device_id: UUID, opened: SessionToken, position: int | None
) -> TokenResponse:
    now = svc.clock()
    access = svc.tokens.issue_access(AccessClaims(account_id, opened.session_id, device_id), now)
    return TokenResponse(
        position=position,
        access_token=access,
        expires_in=int(ACCESS_LIFETIME.total_seconds()),
        refresh_token=opened.token,
        refresh_expires_at=opened.expires_at,
        session_id=str(opened.session_id),
        device_id=str(device_id),
        license_expiry=svc.ledger.account(account_id).license_expiry,
    )


@router.post("/auth/client/login", response_model=TokenResponse, responses=responses(401, 403, 409, 422, 503))
def client_login(body: ClientLoginRequest, request: Request, svc: AppServices) -> TokenResponse:
    """Logs a desktop client in and binds its device (409 ``device_limit_reached`` when no slot is free)."""
    now = svc.clock()
    ip = client_ip(request)
    if ip is not None and svc.ledger.is_blocked(ip, now):
        raise ApiError(403, "ip_blocked", "requests from this address are blocked")
    login_limits(request, svc, body.username)
    public_key = checked_device_key(svc, body.public_key, body.public_key_suite)
    account = svc.ledger.authenticate(body.username, body.password, now, audit_context(request, "anonymous"))
    ctx = audit_context(request, str(account.id))
    binding = svc.ledger.bind_device(
        account.id, body.fingerprint.components, public_key, body.nickname, body.client_version, now, ctx
    )
    opened = svc.ledger.open_session(account.id, SessionKind.DESKTOP, binding.value.device_id, now, ctx)
    return token_response(svc, account.id, binding.value.device_id, opened.value, opened.position)


@router.post("/auth/refresh", response_model=TokenResponse, responses=responses(401, 422))
def refresh(body: RefreshRequest, request: Request, svc: AppServices) -> TokenResponse:
    """Rotates a desktop refresh token; presenting a superseded one closes the whole session (401).
    Anything else (not a token, a web session's token) is 401 and rotates nothing."""
    try:
        presented = svc.ledger.find(Session, session_id_of(body.refresh_token))
    except InvalidInput:
        presented = None
    if presented is None or presented.kind is not SessionKind.DESKTOP:
        raise ApiError(401, "session_closed", "this session is closed or the token is not valid")
    ctx = audit_context(request, str(presented.account_id))
    rotated = svc.ledger.refresh_session(body.refresh_token, svc.clock(), ctx)
    session = svc.ledger.session(rotated.value.session_id)
    if session.device_id is None:
        raise ApiError(401, "session_closed", "not a desktop session")
    return token_response(svc, session.account_id, session.device_id, rotated.value, rotated.position)


@router.post("/auth/client/logout", response_model=Written, responses=responses(401))
def client_logout(principal: CurrentClient, request: Request, svc: AppServices) -> Written:
    """Closes this desktop session: its access and refresh tokens stop working at once."""
    written = svc.ledger.close_session(
        principal.session.id, CloseReason.LOGOUT, svc.clock(), principal.context(request)
    )
    return Written(position=written.position)


@router.get("/.well-known/jwks.json", tags=["keys"])
def jwks(svc: AppServices) -> dict[str, Any]:
    """The public keys that verify access tokens and leases (EdDSA, Ed25519): the current key, and the next
    one during a rotation. Unsigned: a client that pins its key learns new ones from the signed key set
    (``/.well-known/keyledger-keys.jws``) instead."""
    return {"keys": [key.jwk() for key in svc.tokens.published()]}
