"""Web sessions for the admin dashboard: the cookie, CSRF on every cookie write, /auth/me, logout, role
change and revocation on the next request, security headers and request ids on every response."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from uuid import UUID

import httpx2
import pytest
from fastapi.testclient import TestClient

from api.deps import services
from bootstrap.settings import Settings
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import PASSWORD, Api, web_session

LOGIN = {"username": "root", "password": PASSWORD}
SHARED_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def lite(tmp_path: Path, now: datetime) -> Iterator[Api]:
    """The app over SQLite only: for rules that do not depend on the store."""
    with sqlite_api(tmp_path, now) as harness:
        harness.create_account("root", Role.ADMIN)
        yield harness


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One app (SQLite) for the tests that change nothing a later test could notice."""
    with sqlite_api(tmp_path_factory.mktemp("shared"), SHARED_NOW) as harness:
        harness.create_account("root", Role.ADMIN)
        yield harness


def set_cookie(response: httpx2.Response) -> tuple[str, dict[str, str | bool]]:
    """The one cookie a response sets: its name and its attributes (lower-case names)."""
    headers = response.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    parsed = SimpleCookie()
    parsed.load(headers[0])
    ((name, morsel),) = parsed.items()
    flags = {key: value for key, value in morsel.items() if value}
    return name, flags


def session_id(web: dict[str, str]) -> str:
    """The session a web cookie names (a token is ``<session id hex>.<secret>``)."""
    token = web["Cookie"].split("=", 1)[1]
    return str(UUID(hex=token.split(".", 1)[0]))


def test_session_cookie_is_host_only_secure_httponly_strict(shared: Api) -> None:
    """Login sets one opaque cookie: ``__Host-`` prefix, Secure, HttpOnly, SameSite=Strict, Path=/, no
    Domain, and a Max-Age of the session's lifetime (12 h)."""
    response = shared.client.post("/auth/login", json=LOGIN)
    assert response.status_code == 200, response.text
    name, flags = set_cookie(response)
    assert name == "__Host-keyledger_session"
    assert flags == {
        "secure": True,
        "httponly": True,
        "samesite": "strict",
        "path": "/",
        "max-age": str(12 * 3600),
    }
    assert response.json()["csrf_token"] not in response.headers["set-cookie"]


def test_dev_setting_drops_secure_and_the_prefix(tmp_path: Path, now: datetime) -> None:
    """With insecure_dev_cookies (plain-HTTP dev) the cookie has no Secure flag and no ``__Host-`` prefix,
    and is still HttpOnly, SameSite=Strict, Path=/ and accepted by /auth/me."""
    with sqlite_api(tmp_path, now, insecure_dev_cookies=True) as dev:
        dev.create_account("root", Role.ADMIN)
        response = dev.client.post("/auth/login", json=LOGIN)
        name, flags = set_cookie(response)
        assert name == "keyledger_session"
        assert flags == {"httponly": True, "samesite": "strict", "path": "/", "max-age": str(12 * 3600)}
        dev.client.cookies.clear()
        me = dev.client.get("/auth/me", headers={"Cookie": response.headers["set-cookie"].split(";")[0]})
        assert me.status_code == 200, me.text


def test_dev_setting_is_read_from_its_documented_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """KEYLEDGER_INSECURE_DEV_COOKIES turns the dev cookies on; they are off by default."""
    monkeypatch.delenv("KEYLEDGER_INSECURE_DEV_COOKIES", raising=False)
    assert Settings().insecure_dev_cookies is False
    monkeypatch.setenv("KEYLEDGER_INSECURE_DEV_COOKIES", "true")
    assert Settings().insecure_dev_cookies is True


def test_me_answers_the_account_and_the_csrf_token(shared: Api) -> None:
    """GET /auth/me returns the logged-in account as it is now and the CSRF token login returned."""
    web = web_session(shared, "root")
    me = shared.client.get("/auth/me", headers={"Cookie": web["Cookie"]})
    assert me.status_code == 200, me.text
    assert (me.json()["username"], me.json()["role"]) == ("root", "admin")
    assert me.json()["csrf_token"] == web["X-CSRF-Token"]


def refused_variants(web: dict[str, str], other_token: str) -> dict[str, dict[str, str]]:
    """Headers of a cookie write that lack CSRF proof, by what is wrong with them."""
    cookie = {"Cookie": web["Cookie"]}
    return {
        "no token": cookie,
        "wrong token": {**cookie, "X-CSRF-Token": "0" * 64},
        "empty token": {**cookie, "X-CSRF-Token": ""},
        "another session's token": {**cookie, "X-CSRF-Token": other_token},
        "cross-site fetch": {**web, "Sec-Fetch-Site": "cross-site"},
        "same-site fetch (a sibling subdomain)": {**web, "Sec-Fetch-Site": "same-site"},
        "foreign Origin": {**web, "Origin": "https://evil.example"},
        "null Origin": {**web, "Origin": "null"},
        "plain-http Origin": {**web, "Origin": "http://testserver"},
    }


@pytest.mark.parametrize("case", list(refused_variants({"Cookie": "", "X-CSRF-Token": ""}, "")))
def test_cookie_writes_without_csrf_proof_are_refused(shared: Api, case: str) -> None:
    """A cookie-authenticated write without the session's X-CSRF-Token, or from another site, is 403
    ``csrf_failed`` and changes nothing (the session still works, no account is created)."""
    web = web_session(shared, "root")
    headers = refused_variants(web, web_session(shared, "root")["X-CSRF-Token"])[case]
    for method, path, body in (
        ("POST", "/auth/logout", None),
        ("POST", "/admin/users", {"username": "mallory", "password": PASSWORD}),
    ):
        response = shared.client.request(method, path, json=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (403, "csrf_failed"), response.text
    assert shared.client.get("/auth/me", headers={"Cookie": web["Cookie"]}).status_code == 200
    assert shared.ledger.account_id_for("mallory") is None


@pytest.mark.parametrize(
    "extra",
    [{}, {"Sec-Fetch-Site": "same-origin", "Origin": "https://testserver"}, {"Sec-Fetch-Site": "none"}],
    ids=["non-browser client", "same-origin browser", "user-initiated navigation"],
)
def test_cookie_writes_with_the_token_from_our_origin_pass(lite: Api, extra: dict[str, str]) -> None:
    """The session's own CSRF token, sent from our own origin (or by a non-browser client), passes."""
    web = web_session(lite, "root")
    response = lite.client.post(
        "/admin/users", json={"username": "carol", "password": PASSWORD}, headers={**web, **extra}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"username": "root", "password": "correct horse battery", "x": "="}', "text/plain"),
        (b"username=root&password=correct+horse+battery", "application/x-www-form-urlencoded"),
    ],
    ids=["text/plain form", "urlencoded form"],
)
def test_a_cross_site_form_cannot_log_anyone_in(shared: Api, content: bytes, content_type: str) -> None:
    """Login takes JSON only, which a cross-site HTML form cannot send: a form post opens no session and
    sets no cookie (login CSRF)."""
    response = shared.client.post("/auth/login", content=content, headers={"Content-Type": content_type})
    assert response.status_code == 422
    assert "set-cookie" not in response.headers


def test_reads_need_no_csrf_token(shared: Api) -> None:
    """Safe methods (GET) need only the cookie: CSRF protects writes."""
    web = web_session(shared, "root")
    response = shared.client.get(
        "/auth/me", headers={"Cookie": web["Cookie"], "Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 200


def test_logout_ends_the_session_on_the_next_request(api: Api) -> None:
    """After logout the same cookie is refused (401 ``session_closed``), and the response clears it."""
    api.create_account("root", Role.ADMIN)
    web = web_session(api, "root")
    out = api.client.post("/auth/logout", headers=web)
    assert out.status_code == 200, out.text
    name, flags = set_cookie(out)
    assert (name, flags["max-age"], flags["secure"], flags["httponly"]) == (
        "__Host-keyledger_session",
        "0",
        True,
        True,
    )
    api.client.cookies.clear()
    after = api.client.get("/auth/me", headers={"Cookie": web["Cookie"]})
    assert (after.status_code, after.json()["code"]) == (401, "session_closed")
    again = api.client.post("/auth/logout", headers=web)
    assert again.status_code == 401


def test_demoted_admin_is_refused_on_the_next_request(api: Api) -> None:
    """An admin whose role changes to user gets 403 on the very next admin request (its session stays)."""
    alice = api.create_account("alice", Role.ADMIN)
    api.create_account("bob", Role.ADMIN)
    alice_web, bob_web = web_session(api, "alice"), web_session(api, "bob")
    assert api.client.get(f"/admin/users/{alice}", headers=alice_web).status_code == 200
    demoted = api.client.patch(f"/admin/users/{alice}", json={"role": "user"}, headers=bob_web)
    assert demoted.status_code == 200, demoted.text
    refused = api.client.get(f"/admin/users/{alice}", headers=alice_web)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert api.client.get("/auth/me", headers=alice_web).json()["role"] == "user"


def test_promoted_user_is_admin_on_the_next_request(api: Api) -> None:
    """A user promoted to admin may use admin routes on the very next request, without logging in again."""
    carol = api.create_account("carol")
    api.create_account("root", Role.ADMIN)
    carol_web, root_web = web_session(api, "carol"), web_session(api, "root")
    assert api.client.get(f"/admin/users/{carol}", headers=carol_web).status_code == 403
    promoted = api.client.patch(f"/admin/users/{carol}", json={"role": "admin"}, headers=root_web)
    assert promoted.status_code == 200, promoted.text
    assert api.client.get(f"/admin/users/{carol}", headers=carol_web).status_code == 200


def test_admin_revokes_a_web_session(api: Api) -> None:
    """An admin revoking a web session ends it on its next request; the admin's own session is unaffected."""
    api.create_account("root", Role.ADMIN)
    api.create_account("carol")
    root_web, carol_web = web_session(api, "root"), web_session(api, "carol")
    sid = session_id(carol_web)
    revoked = api.client.post(
        f"/admin/sessions/{sid}/revoke", json={"reason": "lost laptop"}, headers=root_web
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["session"]["closed_reason"] == "revoke"
    after = api.client.get("/auth/me", headers=carol_web)
    assert (after.status_code, after.json()["code"]) == (401, "session_closed")
    assert api.client.get("/auth/me", headers=root_web).status_code == 200


def test_a_desktop_refresh_token_is_not_a_web_session(shared: Api) -> None:
    """A desktop refresh token has the shape of a web token but is refused as the session cookie."""
    tokens = shared.client_login("root")
    shared.client.cookies.clear()
    cookie = {"Cookie": f"__Host-keyledger_session={tokens['refresh_token']}"}
    response = shared.client.get("/auth/me", headers=cookie)
    assert (response.status_code, response.json()["code"]) == (401, "session_closed")


def test_a_web_token_is_not_a_refresh_token(shared: Api) -> None:
    """A web session token presented to /auth/refresh is 401 and rotates nothing: the cookie still works."""
    web = web_session(shared, "root")
    token = web["Cookie"].split("=", 1)[1]
    response = shared.client.post("/auth/refresh", json={"refresh_token": token})
    assert response.status_code == 401
    assert shared.client.get("/auth/me", headers={"Cookie": web["Cookie"]}).status_code == 200


def test_garbage_cookies_are_401(shared: Api) -> None:
    """A cookie that is not a session token is 401 ``session_closed``, never a 500."""
    for value in ("x", "a.b", "." * 3, "0" * 32 + ".secret", "zz" * 16 + ".s", "é"):
        shared.client.cookies.clear()
        cookie = f"__Host-keyledger_session={value}".encode()
        response = shared.client.get("/auth/me", headers=[(b"cookie", cookie)])
        assert (response.status_code, response.json()["code"]) == (401, "session_closed"), value


def failing_client(lite: Api) -> TestClient:
    """A client for the same app whose services raise: every route that uses them answers 500."""

    def broken() -> None:
        raise RuntimeError("injected failure")

    app = lite.client.app
    app.dependency_overrides[services] = broken  # type: ignore[attr-defined]
    return TestClient(app, base_url="https://testserver", raise_server_exceptions=False)


ERROR_RESPONSES = {
    "200": ("GET", "/healthz", None),
    "401": ("GET", "/auth/me", None),
    "404": ("GET", "/no/such/route", None),
    "405": ("DELETE", "/healthz", None),
    "413": ("POST", "/auth/login", b"{" + b" " * 70_000 + b"}"),
    "422": ("POST", "/auth/login", b"{}"),
}


def assert_security_headers(response: httpx2.Response, request_id: str) -> None:
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert headers.get_list("x-request-id") == [request_id]


@pytest.mark.parametrize("status", list(ERROR_RESPONSES))
def test_security_headers_on_every_response(shared: Api, status: str) -> None:
    """Successes and errors alike carry CSP (frame-ancestors 'none'), nosniff, Referrer-Policy, DENY framing
    and no-store, and echo their request id."""
    method, path, body = ERROR_RESPONSES[status]
    response = shared.client.request(
        method,
        path,
        content=body,
        headers={"X-Request-ID": f"trace-{status}", "Content-Type": "application/json"},
    )
    assert response.status_code == int(status)
    assert_security_headers(response, f"trace-{status}")


def test_security_headers_on_unexpected_errors(lite: Api) -> None:
    """A 500 (answered by Starlette outside every middleware) carries the same headers and request id."""
    response = failing_client(lite).get("/readyz", headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert_security_headers(response, "trace-500")


def test_docs_page_keeps_frame_ancestors_none(shared: Api) -> None:
    """The API docs page may load Swagger UI from its CDN but still cannot be framed."""
    csp = shared.client.get("/docs").headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("given", ["abc-123", "A.b_c-9", "x" * 64])
def test_sane_request_ids_are_echoed(shared: Api, given: str) -> None:
    """A sane X-Request-ID (1-64 of A-Z a-z 0-9 . _ -) is kept: on the response and in problem bodies."""
    response = shared.client.get("/auth/me", headers={"X-Request-ID": given})
    assert response.headers.get_list("x-request-id") == [given]
    assert response.json()["request_id"] == given


@pytest.mark.parametrize("given", ["", "has space", "x" * 65, "semi;colon", "new\\nline", "ünïcode"])
def test_other_request_ids_are_replaced(shared: Api, given: str) -> None:
    """Any other X-Request-ID is replaced by a fresh one, used alike in the header and the problem body."""
    response = shared.client.get("/auth/me", headers=[(b"x-request-id", given.encode())])
    (echoed,) = response.headers.get_list("x-request-id")
    assert echoed != given
    assert len(echoed) == 32
    assert int(echoed, 16) >= 0
    assert response.json()["request_id"] == echoed


def test_requests_without_an_id_get_distinct_ones(shared: Api) -> None:
    """Each request without an X-Request-ID gets its own."""
    ids = {shared.client.get("/healthz").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_public_origin_behind_a_proxy(tmp_path: Path, now: datetime) -> None:
    """Behind a TLS-terminating proxy the configured public origin is ours; writes from elsewhere fail."""
    with sqlite_api(tmp_path, now, public_origin="https://licensing.example.com") as api:
        api.create_account("root", Role.ADMIN)
        csrf = api.web_login("root")
        body = {"username": "carol", "password": "correct horse battery"}
        ours = api.client.post(
            "/admin/users", json=body, headers={**csrf, "Origin": "https://licensing.example.com"}
        )
        theirs = api.client.post(
            "/admin/users",
            json={**body, "username": "dave"},
            headers={**csrf, "Origin": "https://testserver"},
        )
    assert ours.status_code == 201, ours.text
    assert theirs.status_code == 403
