"""Fakes for the client's unit tests: an in-memory keyring backend, a clock the test moves, and a fake
Keyledger server behind ``httpx.MockTransport`` that signs real EdDSA leases."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from keyring.backend import KeyringBackend

PASSWORD = "correct horse battery"
SERVER = "https://keyledger.test"
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
READERS: dict[str, Callable[[], str | None]] = {
    "machine_id": lambda: "4c4c4544-0042-3510-8052-b4c04f4e3332",
    "product_uuid": lambda: "2f1a6c4e-8d3b-4b9a-9f0e-5c7d2a1b3e4f",
    "board_serial": lambda: "/7X9Y2Z1/CN1296",
    "cpu_model": lambda: "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz",
}


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps secrets in a dict (secure enough for a test)."""

    priority = 1

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@dataclass
class FakeClock:
    wall: datetime = START
    mono: float = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


def problem(status: int, code: str) -> httpx.Response:
    body = {
        "type": f"urn:keyledger:problem:{code}",
        "title": code,
        "status": status,
        "detail": code,
        "code": code,
    }
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


@dataclass
class FakeServer:
    clock: FakeClock
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    next_keys: list[Ed25519PrivateKey] = field(default_factory=list)  # published before they sign
    vouching: list[Ed25519PrivateKey] = field(default_factory=list)  # more keys that sign the key set
    offline: bool = False
    banned: bool = False
    license_code: str | None = None
    tier: str | None = None  # the lease's tier claim, when the server sends one
    license_expiry: datetime = START + timedelta(days=30)
    refresh_delay_s: float = 0.0
    offline_delay_s: float = 0.0
    grace_s: int = 1800
    next_heartbeat_s: int = 300
    extra_routes: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    logins: list[dict[str, Any]] = field(default_factory=list)
    access: set[str] = field(default_factory=set)
    refresh: str | None = None
    reused: set[str] = field(default_factory=set)
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def count(self, route: str) -> int:
        return self.calls.count(route)

    @property
    def kid(self) -> str:
        return kid_of(self.key)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [jwk_of(self.key)]}

    def key_set(self) -> dict[str, Any]:
        """The signed key set: this server's key and its next keys, signed by it and every vouching key."""
        iat = int(self.clock.now().timestamp())
        return sign_key_set([self.key, *self.next_keys], [self.key, *self.vouching], iat)

    def handle(self, request: httpx.Request) -> httpx.Response:
        route = f"{request.method} {request.url.path}"
        with self.lock:
            self.calls.append(route)
        if self.offline:
            time.sleep(self.offline_delay_s)
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads(request.content) if request.content else {}
        handler = self.extra_routes.get(route) or getattr(self, ROUTES.get(route, "not_found"))
        response: httpx.Response = handler(request, body)
        return response

    def not_found(self, _request: httpx.Request, _body: Any) -> httpx.Response:
        return problem(404, "not_found")

    def _tokens(self) -> dict[str, Any]:
        with self.lock:
            self.counter += 1
            access, refresh = f"access-{self.counter}", f"refresh-{self.counter}"
            if self.refresh is not None:
                self.reused.add(self.refresh)
            self.access.add(access)
            self.refresh = refresh
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 900,
            "refresh_token": refresh,
            "refresh_expires_at": (self.clock.now() + timedelta(days=7)).isoformat(),
            "session_id": "5e5510e0-0000-4000-8000-000000000001",
            "device_id": "de71ce00-0000-4000-8000-000000000001",
            "license_expiry": self.license_expiry.isoformat(),
            "position": self.counter,
        }

    def login(self, _request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        self.logins.append(body)
        if body.get("password") != PASSWORD:
            return problem(401, "invalid_credentials")
        if self.banned:
            return problem(401, "account_banned")
        return httpx.Response(200, json=self._tokens())

    def refresh_route(self, _request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        time.sleep(self.refresh_delay_s)
        token = body.get("refresh_token")
        if self.banned:
            return problem(401, "account_banned")
        if token in self.reused:
            self.refresh = None
            return problem(401, "refresh_token_reused")
        if token != self.refresh:
            return problem(401, "session_closed")
        return httpx.Response(200, json=self._tokens())

    def authorized(self, request: httpx.Request) -> httpx.Response | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.access:
            return problem(401, "invalid_token")
        if self.banned:  # as the real server: a ban closes the sessions; only a refresh says why
            return problem(401, "session_closed")
        return None

    def lease(self, valid: bool, now: datetime) -> str:
        claims = {
            "iss": "keyledger",
            "aud": "keyledger-lease",
            "sub": "acc0",
            "sid": "5e5510e0-0000-4000-8000-000000000001",
            "did": "de71ce00-0000-4000-8000-000000000001",
            "jti": f"lease-{self.counter}",
            "typ": "lease",
            "valid": valid,
            "code": self.license_code,
            "license_expiry": self.license_expiry.isoformat(),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(now.timestamp()) + self.grace_s,
        }
        if self.tier is not None:
            claims["tier"] = self.tier
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})

    def heartbeat(self, request: httpx.Request, _body: Any) -> httpx.Response:
        refused = self.authorized(request)
        if refused is not None:
            return refused
        now, valid = self.clock.now(), self.license_code is None
        answer = {
            "valid": valid,
            "code": self.license_code,
            "license_expiry": self.license_expiry.isoformat(),
            "server_time": now.isoformat(),
            "next_heartbeat_s": self.next_heartbeat_s,
            "grace_s": self.grace_s,
            "lease": self.lease(valid, now),
            "checkpoint": None,
        }
        return httpx.Response(200, json=answer)

    def simple(self, request: httpx.Request, _body: Any) -> httpx.Response:
        refused = self.authorized(request)
        return refused or httpx.Response(200, json={"position": 1, "valid": True})

    def activate(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        refused = self.authorized(request)
        if refused is not None:
            return refused
        if body.get("key") != "KEY-GOOD":
            return problem(404, "not_found")
        expiry = self.license_expiry.isoformat()
        answer = {"license_id": "l1", "license_expiry": expiry, "role": "user", "device_limit": 2}
        return httpx.Response(200, json={**answer, "replayed": False, "position": 2})

    def devices_route(self, _request: httpx.Request, _body: Any) -> httpx.Response:
        device = {
            "id": "de71ce00-0000-4000-8000-000000000001",
            "nickname": "desk",
            "client_version": "1.0",
            "current": True,
            "online": True,
            "last_seen": None,
        }
        return httpx.Response(200, json={"device_limit": 2, "devices": [device]})

    def jwks_route(self, _request: httpx.Request, _body: Any) -> httpx.Response:
        return httpx.Response(200, json=self.jwks())

    def key_set_route(self, _request: httpx.Request, _body: Any) -> httpx.Response:
        return httpx.Response(200, json=self.key_set(), headers={"content-type": "application/jose+json"})


ROUTES = {
    "POST /auth/client/login": "login",
    "POST /auth/refresh": "refresh_route",
    "POST /auth/client/logout": "simple",
    "GET /client/license": "simple",
    "GET /client/devices": "devices_route",
    "POST /client/heartbeat": "heartbeat",
    "POST /client/licenses/activate": "activate",
    "GET /.well-known/jwks.json": "jwks_route",
    "GET /.well-known/keyledger-keys.jws": "key_set_route",
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def kid_of(key: Ed25519PrivateKey) -> str:
    """The key id the server gives a key: the first 16 characters of base64url SHA-256 of it."""
    return b64url(hashlib.sha256(raw_public(key)).digest())[:16]


def jwk_of(key: Ed25519PrivateKey) -> dict[str, Any]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw_public(key)), "kid": kid_of(key), "alg": "EdDSA"}


def segment(document: dict[str, Any]) -> str:
    return b64url(json.dumps(document, separators=(",", ":")).encode())


def sign_key_set(
    published: list[Ed25519PrivateKey], signers: list[Ed25519PrivateKey], iat: int
) -> dict[str, Any]:
    """A signed key set written from the documented format (RFC 7515 §7.2.1, general JSON serialization)."""
    payload = segment(
        {"typ": "keyledger-keys", "iss": "keyledger", "iat": iat, "keys": [jwk_of(k) for k in published]}
    )
    signatures = []
    for key in signers:
        protected = segment({"alg": "EdDSA", "kid": kid_of(key), "typ": "keyledger-keys+jws"})
        signatures.append(
            {"protected": protected, "signature": b64url(key.sign(f"{protected}.{payload}".encode()))}
        )
    return {"payload": payload, "signatures": signatures}
