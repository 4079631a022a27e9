"""Revocation takes effect on the very next request: after a ban, a session revoke, a logout or a password
change, the next use of every affected access token, refresh token and web cookie is refused, on both
stores. Each test first shows the credential working, then acts, then makes the next request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2

from domain.roles import Role
from tests.api.harness import COMPONENTS, PASSWORD, Api, issue_key, web_session

SECOND_DEVICE = dict.fromkeys(COMPONENTS, "ee" * 16)


@dataclass
class Carol:
    """One account with two desktop sessions (two devices) and a web session."""

    id: str
    desktops: list[dict[str, Any]]
    web: dict[str, str]


def carol_everywhere(api: Api) -> Carol:
    """Carol, licensed for two devices, logged in on both and on the web."""
    carol = api.create_account("carol")
    _, key = issue_key(api, device_limit=2)
    first = api.client_login("carol")
    activated = api.client.post("/client/licenses/activate", json={"key": key}, headers=Api.bearer(first))
    assert activated.status_code == 200, activated.text
    second = api.client_login("carol", SECOND_DEVICE)
    assert first["device_id"] != second["device_id"]
    return Carol(carol, [first, second], web_session(api, "carol"))


def heartbeat(api: Api, tokens: dict[str, Any]) -> httpx2.Response:
    return api.client.post("/client/heartbeat", json={"client_version": "1.0.0"}, headers=Api.bearer(tokens))


def refresh(api: Api, tokens: dict[str, Any]) -> httpx2.Response:
    return api.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


def me(api: Api, web: dict[str, str]) -> httpx2.Response:
    api.client.cookies.clear()
    return api.client.get("/auth/me", headers={"Cookie": web["Cookie"]})


def assert_working(api: Api, carol: Carol) -> None:
    """Every credential of Carol's works now (refreshing rotates, so her tokens are replaced in place)."""
    for i, tokens in enumerate(carol.desktops):
        assert heartbeat(api, tokens).status_code == 200
        rotated = refresh(api, tokens)
        assert rotated.status_code == 200, rotated.text
        carol.desktops[i] = rotated.json()
        assert heartbeat(api, carol.desktops[i]).status_code == 200
    assert me(api, carol.web).status_code == 200


def assert_refused(response: httpx2.Response, *codes: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] in codes, response.json()


def admin(api: Api) -> dict[str, str]:
    api.create_account("root", Role.ADMIN)
    return web_session(api, "root")


def test_a_ban_cuts_off_every_credential_on_the_next_request(api: Api) -> None:
    """After a ban, the next heartbeat of each access token, the next refresh of each refresh token and the
    next use of the web cookie (read or write) are all 401."""
    root = admin(api)
    carol = carol_everywhere(api)
    assert_working(api, carol)
    banned = api.client.post(f"/admin/users/{carol.id}/ban", json={"reason": "chargeback"}, headers=root)
    assert banned.status_code == 200, banned.text
    for tokens in carol.desktops:
        assert_refused(heartbeat(api, tokens), "session_closed", "account_banned")
        assert_refused(
            api.client.get("/client/license", headers=Api.bearer(tokens)), "session_closed", "account_banned"
        )
        assert_refused(refresh(api, tokens), "session_closed", "account_banned")
    assert_refused(me(api, carol.web), "session_closed", "account_banned")
    assert_refused(api.client.post("/auth/logout", headers=carol.web), "session_closed", "account_banned")


def test_a_banned_account_cannot_log_in_again(api: Api) -> None:
    """While banned, web and desktop logins with the right password are 401 ``account_banned``."""
    root = admin(api)
    carol = carol_everywhere(api)
    api.client.post(f"/admin/users/{carol.id}/ban", json={"reason": "chargeback"}, headers=root)
    web = api.client.post("/auth/login", json={"username": "carol", "password": PASSWORD})
    assert_refused(web, "account_banned")
    desktop = api.client.post(
        "/auth/client/login",
        json={"username": "carol", "password": PASSWORD, "fingerprint": {"components": COMPONENTS}},
    )
    assert_refused(desktop, "account_banned")


def test_a_temporary_ban_also_cuts_off_at_once(api: Api) -> None:
    """A ban with an end date closes the sessions just the same, on the next request."""
    root = admin(api)
    carol = carol_everywhere(api)
    until = (api.clock() + timedelta(days=1)).isoformat()
    banned = api.client.post(
        f"/admin/users/{carol.id}/ban", json={"reason": "cool-off", "until": until}, headers=root
    )
    assert banned.status_code == 200, banned.text
    assert_refused(heartbeat(api, carol.desktops[0]), "session_closed", "account_banned")
    assert_refused(me(api, carol.web), "session_closed", "account_banned")


def test_unban_does_not_revive_old_sessions(api: Api) -> None:
    """After an unban the sessions the ban closed stay closed; a fresh login works."""
    root = admin(api)
    carol = carol_everywhere(api)
    api.client.post(f"/admin/users/{carol.id}/ban", json={"reason": "chargeback"}, headers=root)
    unbanned = api.client.post(f"/admin/users/{carol.id}/unban", json={"reason": "appeal"}, headers=root)
    assert unbanned.status_code == 200, unbanned.text
    assert_refused(heartbeat(api, carol.desktops[0]), "session_closed")
    assert_refused(refresh(api, carol.desktops[1]), "session_closed")
    assert_refused(me(api, carol.web), "session_closed")
    assert heartbeat(api, api.client_login("carol")).status_code == 200


def test_revoking_one_desktop_session_spares_the_others(api: Api) -> None:
    """An admin revoking one desktop session refuses its access and refresh tokens on their next use;
    the account's other sessions keep working."""
    root = admin(api)
    carol = carol_everywhere(api)
    gone, kept = carol.desktops
    revoked = api.client.post(f"/admin/sessions/{gone['session_id']}/revoke", json={}, headers=root)
    assert revoked.status_code == 200, revoked.text
    assert_refused(heartbeat(api, gone), "session_closed")
    assert_refused(refresh(api, gone), "session_closed")
    assert heartbeat(api, kept).status_code == 200
    assert me(api, carol.web).status_code == 200


def test_desktop_logout_ends_both_tokens(api: Api) -> None:
    """After /auth/client/logout the session's access token and refresh token are refused."""
    carol = carol_everywhere(api)
    tokens = carol.desktops[0]
    out = api.client.post("/auth/client/logout", headers=Api.bearer(tokens))
    assert out.status_code == 200, out.text
    assert_refused(heartbeat(api, tokens), "session_closed")
    assert_refused(refresh(api, tokens), "session_closed")
    assert heartbeat(api, carol.desktops[1]).status_code == 200


def test_a_password_change_closes_every_session(api: Api) -> None:
    """An admin setting a new password closes every session of the account on its next request."""
    root = admin(api)
    carol = carol_everywhere(api)
    changed = api.client.post(
        f"/admin/users/{carol.id}/password", json={"password": "a brand new password"}, headers=root
    )
    assert changed.status_code == 200, changed.text
    for tokens in carol.desktops:
        assert_refused(heartbeat(api, tokens), "session_closed")
        assert_refused(refresh(api, tokens), "session_closed")
    assert_refused(me(api, carol.web), "session_closed")


def test_an_old_refresh_token_stays_dead_after_rotation(api: Api) -> None:
    """The refresh token a rotation replaced is refused once its grace window has passed, and its reuse
    closes the session: the current tokens stop working too."""
    carol = carol_everywhere(api)
    old = carol.desktops[0]
    new = refresh(api, old).json()
    api.clock.advance(minutes=5)
    assert_refused(refresh(api, old), "refresh_token_reused")
    assert_refused(heartbeat(api, new), "session_closed")
    assert_refused(refresh(api, new), "session_closed")
