"""Desktop access tokens and leases: EdDSA JWTs whose ``iss``, ``aud``, ``typ``, ``kid`` and times are
all checked. An access token says who (``sub``), which session (``sid``) and device (``did``); whether
that is still true is checked against the ledger on every request, not here."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ACCESS_LIFETIME = timedelta(minutes=15)
ACCESS_AUDIENCE = "keyledger-client"
LEASE_AUDIENCE = "keyledger-lease"
REQUIRED = ["iss", "aud", "sub", "sid", "did", "jti", "typ", "iat", "nbf", "exp"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    """The Ed25519 key tokens and leases are signed with, and its key id (published in the JWKS)."""

    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    kid: str

    @classmethod
    def from_private(cls, private: Ed25519PrivateKey) -> SigningKey:
        public = private.public_key()
        return cls(private, public, b64url(hashlib.sha256(public.public_bytes_raw()).digest())[:16])

    def jwk(self) -> dict[str, Any]:
        """The public key as an RFC 8037 OKP JWK."""
        raw = self.public.public_bytes_raw()
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(raw),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }


class TokenRejected(Exception):
    """A token that is malformed, forged, expired or of the wrong kind (the reason stays server-side)."""


@dataclass(frozen=True)
class AccessClaims:
    account_id: UUID
    session_id: UUID
    device_id: UUID


VERIFIED_CACHE = 20_000


class TokenService:
    """Signs with ``key``; ``next_key`` is published ahead of a rotation, ``previous_key`` (the key rotated
    out) only vouches for the signed key set."""

    def __init__(
        self,
        key: SigningKey,
        issuer: str,
        next_key: SigningKey | None = None,
        previous_key: SigningKey | None = None,
    ) -> None:
        self.key = key
        self.issuer = issuer
        # Access tokens whose signature, issuer, audience and type checked out: a token is the same bytes
        # on every request, so its signature is checked once per process; its time is checked every time.
        self._verified: dict[str, tuple[AccessClaims, int, int]] = {}  # claims, nbf, exp
        self.next_key, self.previous_key = next_key, previous_key

    def published(self) -> list[SigningKey]:
        """The keys that sign, or are about to sign, tokens and leases: the current and the next."""
        return [self.key, *([self.next_key] if self.next_key else [])]

    def vouching(self) -> list[SigningKey]:
        """Every key held: each signs the key set."""
        return [*self.published(), *([self.previous_key] if self.previous_key else [])]

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key.private, algorithm="EdDSA", headers={"kid": self.key.kid})

    def _times(self, now: datetime, lifetime: timedelta) -> dict[str, int]:
        issued = int(now.timestamp())
        return {"iat": issued, "nbf": issued, "exp": int((now + lifetime).timestamp())}

    def issue_access(self, claims: AccessClaims, now: datetime) -> str:
        return self._sign(
            {
                "iss": self.issuer,
                "aud": ACCESS_AUDIENCE,
                "sub": str(claims.account_id),
                "sid": str(claims.session_id),
                "did": str(claims.device_id),
                "jti": uuid.uuid4().hex,
                "typ": "access",
                **self._times(now, ACCESS_LIFETIME),
            }
        )

    def issue_lease(self, claims: AccessClaims, body: dict[str, Any], now: datetime, grace: timedelta) -> str:
        """A lease the client verifies offline with the JWKS key; valid until ``now + grace``."""
        return self._sign(
            {
                "iss": self.issuer,
                "aud": LEASE_AUDIENCE,
                "sub": str(claims.account_id),
                "sid": str(claims.session_id),
                "did": str(claims.device_id),
                "jti": uuid.uuid4().hex,
                "typ": "lease",
                **body,
                **self._times(now, grace),
            }
        )

    def verify(
        self, token: str, now: datetime, *, typ: str = "access", audience: str = ACCESS_AUDIENCE
    ) -> dict[str, Any]:
        """The claims of a valid token of kind ``typ``; anything else raises ``TokenRejected``."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "EdDSA" or header.get("kid") != self.key.kid:
                raise TokenRejected("unknown key or algorithm")
            claims: dict[str, Any] = jwt.decode(
                token,
                self.key.public,
                algorithms=["EdDSA"],
                audience=audience,
                issuer=self.issuer,
                options={"require": REQUIRED, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(str(error)) from None
        self._check_time(claims, now)
        if claims.get("typ") != typ:
            raise TokenRejected("wrong token type")
        return claims

    @staticmethod
    def _check_time(claims: dict[str, Any], now: datetime) -> None:
        times = (claims["nbf"], claims["exp"], claims.get("iat", 0))
        if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in times):
            raise TokenRejected("time claims are not numbers")
        if not claims["nbf"] <= now.timestamp() < claims["exp"]:
            raise TokenRejected("not valid at this time")

    def access_claims(self, token: str, now: datetime) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            self._check_time({"nbf": known[1], "exp": known[2]}, now)
            return known[0]
        claims = self.verify(token, now)
        ids = (claims["sub"], claims["sid"], claims["did"])
        if not all(isinstance(value, str) for value in ids):
            raise TokenRejected("malformed subject")
        try:
            found = AccessClaims(UUID(ids[0]), UUID(ids[1]), UUID(ids[2]))
        except ValueError:
            raise TokenRejected("malformed subject") from None
        if len(self._verified) >= VERIFIED_CACHE:
            self._verified.clear()
        self._verified[token] = (found, claims["nbf"], claims["exp"])
        return found
