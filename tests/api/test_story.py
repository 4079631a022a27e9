"""The whole story through the app: admin, user, license key, desktop client, heartbeat, ban."""

from __future__ import annotations

import jwt

from domain.roles import Role
from tests.api.harness import COMPONENTS, Api


def test_full_story(api: Api) -> None:
    """Admin issues a key, the client logs in, activates, heartbeats with a lease, is refused a second
    device, and is cut off at the next heartbeat after a ban."""
    api.create_account("root", Role.ADMIN)
    csrf = api.web_login("root")
    created = api.client.post(
        "/admin/users", json={"username": "carol", "password": "correct horse battery"}, headers=csrf
    )
    assert created.status_code == 201, created.text
    issued = api.client.post(
        "/admin/licenses", json={"count": 1, "days": 30, "device_limit": 1}, headers=csrf
    )
    assert issued.status_code == 201, issued.text
    key = issued.json()["keys"][0]["key"]

    tokens = api.client_login("carol")
    activated = api.client.post("/client/licenses/activate", json={"key": key}, headers=api.bearer(tokens))
    assert activated.status_code == 200, activated.text
    beat = api.client.post("/client/heartbeat", json={"client_version": "1.0.0"}, headers=api.bearer(tokens))
    assert beat.status_code == 200, beat.text
    assert beat.json()["valid"] is True
    jwk = api.client.get("/.well-known/jwks.json").json()["keys"][0]
    lease = jwt.decode(
        beat.json()["lease"],
        jwt.PyJWK(jwk).key,
        algorithms=["EdDSA"],
        audience="keyledger-lease",
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    assert lease["valid"] is True

    other = dict.fromkeys(COMPONENTS, "ff" * 16)
    refused = api.client.post(
        "/auth/client/login",
        json={"username": "carol", "password": "correct horse battery", "fingerprint": {"components": other}},
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "device_limit_reached"

    banned = api.client.post(
        f"/admin/users/{created.json()['id']}/ban", json={"reason": "chargeback"}, headers=csrf
    )
    assert banned.status_code == 200, banned.text
    after = api.client.post("/client/heartbeat", json={}, headers=api.bearer(tokens))
    assert after.status_code == 401
    assert after.headers["content-type"] == "application/problem+json"
    assert after.json()["code"] == "account_banned"
