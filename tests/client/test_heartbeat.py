"""The background heartbeat: runs every interval, survives errors, reports bans, stops cleanly, and
never writes a secret to the log."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from keyledger_client import Callbacks
from keyledger_client.heartbeat import HeartbeatThread
from keyledger_client.logs import RedactSecrets, redact

from tests.client.conftest import MakeClient
from tests.client.fakes import PASSWORD, FakeClock, FakeServer, MemoryKeyring


def wait_for(check: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_heartbeats_run_in_the_background(make_client: MakeClient, server: FakeServer) -> None:
    """Started, the thread beats again and again (here every 20 ms) until stopped."""
    client = make_client()
    client.login("carol", PASSWORD)
    client.start_heartbeats(max_interval_s=0.02)
    wait_for(lambda: server.count("POST /client/heartbeat") >= 3)
    client.stop_heartbeats()
    beats = server.count("POST /client/heartbeat")
    time.sleep(0.1)
    assert server.count("POST /client/heartbeat") == beats


def test_interval_is_what_the_server_says(make_client: MakeClient, server: FakeServer) -> None:
    """The next beat is due after next_heartbeat_s online, after 30 s when offline, capped if asked."""
    client = make_client()
    client.login("carol", PASSWORD)
    assert client.licensing.delay_after(client.heartbeat()) == 300
    server.offline = True
    assert client.licensing.delay_after(client.heartbeat()) == 30
    client.licensing.max_interval_s = 5
    assert client.licensing.delay_after(client.heartbeat()) == 5


def test_heartbeat_thread_survives_unexpected_errors(caplog: pytest.LogCaptureFixture) -> None:
    """An unexpected error is logged with its traceback, reported, and the heartbeats go on."""
    errors: list[BaseException] = []
    calls = 0

    def beat() -> float | None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RuntimeError("database is locked")
        return None

    with caplog.at_level(logging.INFO, "keyledger_client"):
        thread = HeartbeatThread(beat, on_error=errors.append, error_retry_s=0.01)
        thread.start()
        wait_for(lambda: not thread.alive)
    assert calls == 3
    assert [str(e) for e in errors] == ["database is locked"] * 2
    assert "Traceback" in caplog.text
    assert "heartbeat thread ends: the session ended" in caplog.text


def test_a_failing_callback_does_not_stop_heartbeats(make_client: MakeClient, server: FakeServer) -> None:
    """The application's callback raising is logged; heartbeats continue."""

    def broken(_: object) -> None:
        raise ValueError("app bug")

    client = make_client(callbacks=Callbacks(on_invalid=broken))
    client.login("carol", PASSWORD)
    server.license_code = "license_suspended"
    client.start_heartbeats(max_interval_s=0.01)
    wait_for(lambda: server.count("POST /client/heartbeat") >= 3)
    client.stop_heartbeats()


def test_ban_reported_by_next_heartbeat_and_thread_ends(make_client: MakeClient, server: FakeServer) -> None:
    """A ban: the next heartbeat gets account_banned, the app is told once, the thread stops."""
    ended: list[str] = []
    done = threading.Event()

    def signed_out(code: str) -> None:
        ended.append(code)
        done.set()

    client = make_client(callbacks=Callbacks(on_signed_out=signed_out))
    client.login("carol", PASSWORD)
    client.start_heartbeats(max_interval_s=0.01)
    wait_for(lambda: server.count("POST /client/heartbeat") >= 1)
    server.banned = True
    assert done.wait(5)
    wait_for(lambda: client._heartbeats is None or not client._heartbeats.alive)
    assert ended == ["account_banned"]
    assert client.status().reason == "account_banned"


def test_stop_is_prompt_even_with_a_long_interval(make_client: MakeClient) -> None:
    """Shutdown does not wait for the next five-minute beat."""
    client = make_client()
    client.login("carol", PASSWORD)
    client.start_heartbeats()
    started = time.monotonic()
    client.close()
    assert time.monotonic() - started < 2


def test_no_secret_reaches_the_log(
    make_client: MakeClient,
    server: FakeServer,
    clock: FakeClock,
    memory_keyring: MemoryKeyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Login, refresh, heartbeats, reuse sign-out and logout log nothing secret."""
    with caplog.at_level(logging.DEBUG):
        client = make_client()
        client.login("carol", PASSWORD)
        client.heartbeat()
        clock.advance(900)
        client.heartbeat()
        server.offline = True
        client.heartbeat()
        server.offline = False
        server.reused.add(server.refresh or "")
        clock.advance(900)
        client.heartbeat()
    secrets = [PASSWORD, *memory_keyring.secrets.values(), *server.access, "refresh-1", "refresh-2"]
    for secret in secrets:
        assert secret not in caplog.text


def test_redaction_filter_masks_tokens() -> None:
    """A JWT or a bearer header that slips into a message is masked by the log filter."""
    jwt_text = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert redact(f"got {jwt_text} and Bearer abc.def") == "got [redacted] and [redacted]"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (jwt_text,), None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == "token [redacted]"
