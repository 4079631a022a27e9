"""Refresh tokens: each use rotates the family, one lost response is forgiven for 30 s, any other replay
closes the whole family; the family lives at most 7 days, and logout ends it at once."""

from __future__ import annotations

import threading

import httpx2

from domain.errors import SessionClosed
from domain.roles import Role
from domain.session import REFRESH_GRACE
from tests.api.harness import Api, license_status, licensed_client


def refresh(api: Api, token: str) -> httpx2.Response:
    return api.client.post("/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_tokens(api: Api) -> None:
    """A refresh returns a new access and refresh token for the same session and device."""
    tokens = licensed_client(api, "carol")
    rotated = refresh(api, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    fresh = rotated.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["access_token"] != tokens["access_token"]
    assert (fresh["session_id"], fresh["device_id"]) == (tokens["session_id"], tokens["device_id"])
    assert fresh["refresh_expires_at"] == tokens["refresh_expires_at"]
    assert license_status(api, fresh).status_code == 200
    again = refresh(api, fresh["refresh_token"])
    assert again.status_code == 200, again.text


def test_replay_within_grace_gets_new_tokens(api: Api) -> None:
    """The previous refresh token, replayed within 30 s (a lost response), still rotates the family."""
    tokens = licensed_client(api, "carol")
    assert refresh(api, tokens["refresh_token"]).status_code == 200
    api.clock.advance(seconds=REFRESH_GRACE.total_seconds())
    replayed = refresh(api, tokens["refresh_token"])
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["session_id"] == tokens["session_id"]
    assert license_status(api, replayed.json()).status_code == 200
    assert refresh(api, replayed.json()["refresh_token"]).status_code == 200


def test_grace_replay_keeps_one_chain_alive(api: Api) -> None:
    """Within the grace window the superseded token gets a new successor and the first successor dies:
    two holders cannot keep two chains alive by alternating (RFC 9700 §4.14); presenting the dead
    successor is reuse and closes the family."""
    tokens = licensed_client(api, "carol")
    first = refresh(api, tokens["refresh_token"]).json()
    second = refresh(api, tokens["refresh_token"]).json()
    third = refresh(api, tokens["refresh_token"]).json()
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    stale = refresh(api, first["refresh_token"])
    assert stale.status_code == 401
    assert stale.json()["code"] == "refresh_token_reused"
    assert refresh(api, third["refresh_token"]).status_code == 401
    assert license_status(api, third).status_code == 401


def test_replay_outside_grace_closes_the_family(api: Api) -> None:
    """A superseded refresh token after the grace window is 401 refresh_token_reused and kills the family:
    the newest refresh token and its access token fail too."""
    tokens = licensed_client(api, "carol")
    newest = refresh(api, tokens["refresh_token"]).json()
    api.clock.advance(seconds=REFRESH_GRACE.total_seconds() + 1)
    replayed = refresh(api, tokens["refresh_token"])
    assert replayed.status_code == 401
    assert replayed.headers["content-type"] == "application/problem+json"
    assert replayed.json()["code"] == "refresh_token_reused"
    after = refresh(api, newest["refresh_token"])
    assert after.status_code == 401
    assert after.json()["code"] == "session_closed"
    assert license_status(api, newest).status_code == 401
    assert license_status(api, newest).json()["code"] == "session_closed"


def test_older_generation_replay_closes_the_family(api: Api) -> None:
    """A token two rotations old is a replay even inside the grace window of the latest rotation."""
    tokens = licensed_client(api, "carol")
    second = refresh(api, tokens["refresh_token"]).json()
    third = refresh(api, second["refresh_token"]).json()
    replayed = refresh(api, tokens["refresh_token"])
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "refresh_token_reused"
    assert refresh(api, third["refresh_token"]).status_code == 401


def test_parallel_refreshes_leave_one_live_token(api: Api) -> None:
    """Refreshes racing with the same token never give a 500; they stay in one family, and once the grace
    window has passed at most one of the tokens they returned is still the live one."""
    tokens = licensed_client(api, "carol")
    barrier = threading.Barrier(4, timeout=10)
    answers: list[httpx2.Response] = []

    def race() -> None:
        barrier.wait()
        answers.append(refresh(api, tokens["refresh_token"]))

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 4
    assert {a.status_code for a in answers} <= {200, 401}, [a.text for a in answers]
    refused = {a.json()["code"] for a in answers if a.status_code == 401}
    assert refused <= {"refresh_token_reused", "session_closed"}
    won = [a.json() for a in answers if a.status_code == 200]
    assert won
    assert {w["session_id"] for w in won} == {tokens["session_id"]}
    api.clock.advance(seconds=REFRESH_GRACE.total_seconds() + 1)
    live = []
    for w in won:
        try:
            live.append(api.ledger.session_for_token(w["refresh_token"], api.clock()))
        except SessionClosed:
            continue
    assert len(live) <= 1


def test_absolute_lifetime_is_seven_days(api: Api) -> None:
    """Refreshing keeps a session alive up to 7 days after login, never past it."""
    tokens = licensed_client(api, "carol")
    api.clock.advance(days=6, hours=23, minutes=59)
    nearly = refresh(api, tokens["refresh_token"])
    assert nearly.status_code == 200, nearly.text
    assert nearly.json()["refresh_expires_at"] == tokens["refresh_expires_at"]
    api.clock.advance(minutes=1)
    capped = refresh(api, nearly.json()["refresh_token"])
    assert capped.status_code == 401
    assert capped.json()["code"] == "session_expired"
    assert license_status(api, nearly.json()).status_code == 401


def test_logout_ends_access_and_refresh(api: Api) -> None:
    """After /auth/client/logout the access token and the refresh token fail on their next request."""
    tokens = licensed_client(api, "carol")
    out = api.client.post("/auth/client/logout", headers=api.bearer(tokens))
    assert out.status_code == 200, out.text
    assert license_status(api, tokens).status_code == 401
    assert license_status(api, tokens).json()["code"] == "session_closed"
    after = refresh(api, tokens["refresh_token"])
    assert after.status_code == 401
    assert after.json()["code"] == "session_closed"


def test_refresh_with_a_non_token_is_401(api: Api) -> None:
    """Anything that is not a desktop refresh token is 401 session_closed (never a 5xx or a 422), and a
    wrong secret for a real session does not close it."""
    tokens = licensed_client(api, "carol")
    guessed = tokens["session_id"].replace("-", "") + ".guessed-secret"
    for token in ("", "garbage", "a.b", "0" * 32 + ".secret", tokens["access_token"][:200], guessed):
        response = refresh(api, token)
        assert response.status_code == 401, (token, response.text)
        assert response.json()["code"] == "session_closed"
    assert refresh(api, tokens["refresh_token"]).status_code == 200


def test_web_session_token_is_not_a_refresh_token(api: Api) -> None:
    """A web session's cookie value posted to /auth/refresh is refused and does not rotate the web session
    (the admin stays logged in)."""
    api.create_account("root", Role.ADMIN)
    api.web_login("root")
    cookie = api.client.cookies.get("__Host-keyledger_session")
    assert cookie
    response = refresh(api, cookie)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "session_closed"
    assert api.client.get("/auth/me").status_code == 200
