"""Heartbeats: the license state with its reason code, a signed lease that verifies offline with only the
JWKS key, and presence updated without appending events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx2
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.tokens import LEASE_AUDIENCE, SigningKey
from domain.roles import Role
from tests.api.harness import Api, licensed_client, services_of


def heartbeat(api: Api, tokens: dict[str, Any], **body: Any) -> httpx2.Response:
    return api.client.post("/client/heartbeat", json=body, headers=api.bearer(tokens))


def beat_json(api: Api, tokens: dict[str, Any]) -> dict[str, Any]:
    response = heartbeat(api, tokens)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def admin(api: Api) -> dict[str, str]:
    api.create_account("root", Role.ADMIN)
    return api.web_login("root")


def offline_verify(api: Api, lease: str) -> dict[str, Any]:
    """What a client does offline: verify the lease with the key from the JWKS document alone."""
    jwk = api.client.get("/.well-known/jwks.json").json()["keys"][0]
    assert jwt.get_unverified_header(lease)["kid"] == jwk["kid"]
    claims: dict[str, Any] = jwt.decode(
        lease,
        jwt.PyJWK(jwk).key,
        algorithms=["EdDSA"],
        audience=LEASE_AUDIENCE,
        issuer="keyledger",
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "require": ["exp", "nbf"]},
    )
    return claims


def test_valid_heartbeat_carries_a_lease_for_the_grace_period(api: Api) -> None:
    """A licensed device gets valid=true, the 300 s cadence, 1800 s grace and a lease that verifies offline
    with the JWKS key and expires at now + grace."""
    tokens = licensed_client(api, "carol")
    beat = beat_json(api, tokens)
    now = api.clock()
    assert beat["valid"] is True
    assert beat["code"] is None
    assert (beat["next_heartbeat_s"], beat["grace_s"]) == (300, 1800)
    assert datetime.fromisoformat(beat["server_time"]) == now
    assert datetime.fromisoformat(beat["license_expiry"]) == now + timedelta(days=30)
    lease = offline_verify(api, beat["lease"])
    assert lease["exp"] == int((now + timedelta(seconds=1800)).timestamp())
    assert lease["nbf"] == lease["iat"] == int(now.timestamp())
    assert lease["typ"] == "lease"
    assert (lease["sid"], lease["did"]) == (tokens["session_id"], tokens["device_id"])
    assert lease["valid"] is True
    assert lease["code"] is None
    assert datetime.fromisoformat(lease["license_expiry"]) == now + timedelta(days=30)


def test_lease_does_not_verify_with_another_key_or_audience(api: Api) -> None:
    """A lease is bound to the server's key and to the lease audience: it is not an access token."""
    tokens = licensed_client(api, "carol")
    lease = beat_json(api, tokens)["lease"]
    jwk = api.client.get("/.well-known/jwks.json").json()["keys"][0]
    other = SigningKey.from_private(Ed25519PrivateKey.generate()).jwk()
    for key, audience in ((jwt.PyJWK(other).key, LEASE_AUDIENCE), (jwt.PyJWK(jwk).key, "keyledger-client")):
        try:
            jwt.decode(lease, key, algorithms=["EdDSA"], audience=audience, options={"verify_exp": False})
        except jwt.InvalidTokenError:
            continue
        raise AssertionError("the lease verified where it must not")


def test_no_license(api: Api) -> None:
    """An account that never activated a key heartbeats valid=false, code no_license."""
    api.create_account("carol")
    beat = beat_json(api, api.client_login("carol"))
    assert (beat["valid"], beat["code"], beat["license_expiry"]) == (False, "no_license", None)
    assert offline_verify(api, beat["lease"])["code"] == "no_license"


def test_license_expired(api: Api) -> None:
    """Past the license expiry the heartbeat says license_expired (and so does the signed lease)."""
    licensed_client(api, "carol", days=30)
    api.clock.advance(days=30)
    beat = beat_json(api, api.client_login("carol"))
    assert (beat["valid"], beat["code"]) == (False, "license_expired")
    lease = offline_verify(api, beat["lease"])
    assert (lease["valid"], lease["code"]) == (False, "license_expired")


def test_license_suspended_and_reinstated(api: Api) -> None:
    """An admin's suspension shows as license_suspended on the next heartbeat; reinstating restores it."""
    tokens = licensed_client(api, "carol")
    csrf = admin(api)
    suspended = api.client.post(f"/admin/licenses/{tokens['license_id']}/suspend", json={}, headers=csrf)
    assert suspended.status_code == 200, suspended.text
    beat = beat_json(api, tokens)
    assert (beat["valid"], beat["code"]) == (False, "license_suspended")
    assert offline_verify(api, beat["lease"])["code"] == "license_suspended"
    reinstated = api.client.post(f"/admin/licenses/{tokens['license_id']}/reinstate", json={}, headers=csrf)
    assert reinstated.status_code == 200, reinstated.text
    assert beat_json(api, tokens)["valid"] is True


def test_device_released(api: Api) -> None:
    """After an admin releases the device its heartbeat still answers 200 with valid=false, code
    device_released (so the client can tell the user), while every other route answers 401."""
    tokens = licensed_client(api, "carol")
    csrf = admin(api)
    released = api.client.post(f"/admin/devices/{tokens['device_id']}/release", json={}, headers=csrf)
    assert released.status_code == 200, released.text
    beat = beat_json(api, tokens)
    assert (beat["valid"], beat["code"]) == (False, "device_released")
    lease = offline_verify(api, beat["lease"])
    assert (lease["valid"], lease["code"]) == (False, "device_released")
    for response in (
        api.client.get("/client/license", headers=api.bearer(tokens)),
        api.client.post("/client/licenses/activate", json={"key": "X" * 25}, headers=api.bearer(tokens)),
        api.client.post("/auth/client/logout", headers=api.bearer(tokens)),
        api.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
    ):
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "session_closed"


def test_banned_account_heartbeat_is_401(api: Api) -> None:
    """A ban is an auth failure: the next heartbeat is a 401 problem, not a lease."""
    tokens = licensed_client(api, "carol")
    csrf = admin(api)
    account_id = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
    banned = api.client.post(f"/admin/users/{account_id}/ban", json={"reason": "fraud"}, headers=csrf)
    assert banned.status_code == 200, banned.text
    after = heartbeat(api, tokens)
    assert after.status_code == 401
    assert after.headers["content-type"] == "application/problem+json"
    assert after.json()["code"] in {"session_closed", "account_banned"}


def test_heartbeats_append_no_events_but_update_presence(api: Api) -> None:
    """Heartbeats write nothing to the ledger; they update presence with the time, address and version."""
    tokens = licensed_client(api, "carol")
    device_id = services_of(api).tokens.access_claims(tokens["access_token"], api.clock()).device_id
    presence = services_of(api).presence
    assert presence.last_seen(device_id) is None
    position = api.ledger.recorder.max_notification_id()
    for version in ("1.0.0", "1.0.1"):
        api.clock.advance(seconds=300)
        assert heartbeat(api, tokens, client_version=version).status_code == 200
        seen = presence.last_seen(device_id)
        assert seen is not None
        assert (seen.at, seen.client_ip, seen.client_version) == (api.clock(), "203.0.113.7", version)
    assert api.ledger.recorder.max_notification_id() == position


def test_the_lease_states_the_accounts_tier(api: Api) -> None:
    """The signed lease carries the license tier plugins are judged by: user, vip, and vip for an admin."""
    tiers = {}
    for name, role in (("ursula", Role.USER), ("victor", Role.VIP), ("ada", Role.ADMIN)):
        api.create_account(name, role)
        tiers[name] = offline_verify(api, beat_json(api, api.client_login(name))["lease"])["tier"]
    assert tiers == {"ursula": "user", "victor": "vip", "ada": "vip"}
