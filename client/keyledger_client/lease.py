"""The signed lease a heartbeat returns: an EdDSA JWT (``typ`` lease, ``aud`` keyledger-lease) that the
client verifies against the lease keys it trusts (``lease_keys``: pinned, or learned from a signed key
set), online and offline alike. A lease that does not verify is never kept. An optional ``tier`` claim
(``user``, ``vip``) is the license tier plugins are judged by; without it a valid license counts as the
lowest tier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from keyledger_client.errors import LeaseRejected
from keyledger_client.lease_keys import LeaseKey

LEASE_AUDIENCE = "keyledger-lease"
REQUIRED = ["iss", "aud", "sub", "sid", "did", "jti", "typ", "iat", "nbf", "exp", "valid"]


@dataclass(frozen=True)
class Lease:
    token: str
    valid: bool
    code: str | None
    license_expiry: datetime | None
    issued_at: datetime
    expires_at: datetime
    device_id: str
    session_id: str
    tier: str | None = None


def lease_kid(token: str) -> str | None:
    """The ``kid`` of the key that signed ``token`` (not verified yet); ``LeaseRejected`` for a token that
    is not an EdDSA JWT."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise LeaseRejected("not a JWT") from None
    if header.get("alg") != "EdDSA":
        raise LeaseRejected("the lease is not signed with EdDSA")
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def verify_lease(token: str, keys: Mapping[str, LeaseKey], device_id: str | None) -> Lease:
    """The lease, if a trusted key (``keys``, by kid) signed it and its audience, type and device verify;
    times are judged by the caller (with the server's time, not this machine's)."""
    key = keys.get(lease_kid(token) or "")
    if key is None:
        raise LeaseRejected("the lease is signed by a key this client does not trust")
    try:
        claims = jwt.decode(
            token,
            key.public,
            algorithms=["EdDSA"],
            audience=LEASE_AUDIENCE,
            options={"require": REQUIRED, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.PyJWTError as error:
        raise LeaseRejected(f"the lease does not verify: {type(error).__name__}") from None
    if claims.get("typ") != "lease":
        raise LeaseRejected("not a lease")
    if device_id is not None and claims.get("did") != device_id:
        raise LeaseRejected("the lease is for another device")
    return _lease(token, claims)


def _lease(token: str, claims: dict[str, Any]) -> Lease:
    try:
        expiry = claims.get("license_expiry")
        return Lease(
            token=token,
            valid=claims["valid"] is True,
            code=str(claims["code"]) if claims.get("code") else None,
            license_expiry=datetime.fromisoformat(expiry) if isinstance(expiry, str) else None,
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            device_id=str(claims["did"]),
            session_id=str(claims["sid"]),
            tier=claims["tier"] if isinstance(claims.get("tier"), str) else None,
        )
    except (TypeError, ValueError):
        raise LeaseRejected("malformed lease claims") from None
