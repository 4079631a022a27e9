"""Tokens: refreshed before expiry, one refresh shared by concurrent callers, clean sign-out."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from keyledger_client import Callbacks, InvalidCredentials, NotLoggedIn, ServerUnreachable, SessionEnded
from keyledger_client.credentials import REFRESH_TOKEN

from tests.client.conftest import MakeClient
from tests.client.fakes import PASSWORD, FakeClock, FakeServer, MemoryKeyring

SERVICE = "keyledger:keyledger"


def test_single_flight_refresh_under_twenty_concurrent_calls(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """Twenty threads that all find the access token expired cause exactly one refresh request."""
    client = make_client()
    client.login("carol", PASSWORD)
    clock.advance(900)
    server.refresh_delay_s = 0.05
    start = threading.Barrier(20)

    def call() -> bool:
        start.wait()
        return client.license()["valid"] is True

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: call(), range(20)))
    assert all(results)
    assert server.count("POST /auth/refresh") == 1
    assert server.count("GET /client/license") == 20


def test_access_token_refreshed_before_it_expires(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """Within the last minute of its 15 minutes the access token is renewed before use."""
    client = make_client()
    client.login("carol", PASSWORD)
    clock.advance(800)
    client.license()
    assert server.count("POST /auth/refresh") == 0
    clock.advance(50)
    client.license()
    assert server.count("POST /auth/refresh") == 1


def test_a_refused_access_token_is_renewed_once(make_client: MakeClient, server: FakeServer) -> None:
    """A 401 invalid_token (e.g. the server restarted with a new key) costs one refresh and a retry."""
    client = make_client()
    client.login("carol", PASSWORD)
    server.access.clear()
    assert client.license()["valid"] is True
    assert server.count("POST /auth/refresh") == 1


def test_rotated_refresh_token_is_remembered(
    make_client: MakeClient, clock: FakeClock, memory_keyring: MemoryKeyring
) -> None:
    """Each rotation replaces the remembered refresh token, so a restart never presents a used one."""
    client = make_client()
    client.login("carol", PASSWORD)
    clock.advance(900)
    client.license()
    assert memory_keyring.secrets[(SERVICE, REFRESH_TOKEN)] == "refresh-2"


def test_refresh_rejected_as_reused_signs_out_cleanly(
    make_client: MakeClient, server: FakeServer, clock: FakeClock, memory_keyring: MemoryKeyring
) -> None:
    """A refresh token the server calls reused: the app is told once, the keyring and the session are
    cleared, and later calls say "not logged in" without asking the server again."""
    ended: list[str] = []
    client = make_client(callbacks=Callbacks(on_signed_out=ended.append))
    client.login("carol", PASSWORD)
    server.reused.add("refresh-1")
    clock.advance(900)
    with pytest.raises(SessionEnded) as caught:
        client.license()
    assert caught.value.code == "refresh_token_reused"
    assert ended == ["refresh_token_reused"]
    assert (SERVICE, REFRESH_TOKEN) not in memory_keyring.secrets
    assert client.state.session_id is None
    with pytest.raises(NotLoggedIn):
        client.license()
    assert server.count("POST /auth/refresh") == 1
    assert client.status().reason == "refresh_token_reused"


def test_wrong_password_is_invalid_credentials(make_client: MakeClient) -> None:
    """A wrong password raises InvalidCredentials with the server's code."""
    with pytest.raises(InvalidCredentials) as caught:
        make_client().login("carol", "wrong")
    assert caught.value.code == "invalid_credentials"


def test_logout_closes_the_session_and_forgets_it(
    make_client: MakeClient, server: FakeServer, memory_keyring: MemoryKeyring
) -> None:
    """Logout tells the server and clears the refresh token even if the server cannot be reached."""
    client = make_client()
    client.login("carol", PASSWORD)
    client.logout()
    assert server.count("POST /auth/client/logout") == 1
    assert (SERVICE, REFRESH_TOKEN) not in memory_keyring.secrets
    again = make_client()
    again.login("carol", PASSWORD)
    server.offline = True
    again.logout()
    assert (SERVICE, REFRESH_TOKEN) not in memory_keyring.secrets
    assert not make_client().resume()


def test_concurrent_callers_share_a_failed_refresh(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """Server down while the token is expired: twenty callers, one refresh attempt, one shared error."""
    client = make_client()
    client.login("carol", PASSWORD)
    clock.advance(900)
    server.offline = True
    server.offline_delay_s = 0.1  # a connection attempt that takes its time
    start = threading.Barrier(20)

    def call() -> str:
        start.wait()
        try:
            client.license()
        except ServerUnreachable:
            return "unreachable"
        return "answered"

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: call(), range(20)))
    assert results == ["unreachable"] * 20
    assert server.count("POST /auth/refresh") == 1
    server.offline = False
    assert client.license()["valid"] is True
