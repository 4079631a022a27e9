"""Offline grace: valid until the lease ends, then the app is told; a rolled-back clock never helps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyledger_client import Callbacks, LicenseStatus
from keyledger_client.grace import judge
from keyledger_client.lease import Lease

from tests.client.conftest import MakeClient
from tests.client.fakes import PASSWORD, START, FakeClock, FakeServer

LEASE = Lease("t", True, None, START + timedelta(days=30), START, START + timedelta(minutes=30), "d", "s")


def test_offline_valid_until_lease_end_then_invalid(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """Server unreachable: the license stays valid until the lease's end, then the app is told once."""
    told: list[LicenseStatus] = []
    client = make_client(callbacks=Callbacks(on_invalid=told.append))
    client.login("carol", PASSWORD)
    assert client.heartbeat().online
    server.offline = True
    clock.advance(1799)
    during = client.heartbeat()
    assert (during.valid, during.online) == (True, False)
    assert told == []
    clock.advance(1)
    after = client.heartbeat()
    assert (after.valid, after.reason) == (False, "grace_expired")
    client.heartbeat()
    assert [status.reason for status in told] == ["grace_expired"]


def test_back_online_renews_the_grace(make_client: MakeClient, server: FakeServer, clock: FakeClock) -> None:
    """When the server answers again a fresh lease makes the license valid again."""
    client = make_client()
    client.login("carol", PASSWORD)
    client.heartbeat()
    server.offline = True
    clock.advance(2000)
    assert not client.heartbeat().valid
    server.offline = False
    assert client.heartbeat().valid


def test_clock_rollback_is_detected_and_does_not_extend_grace(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """Offline, the wall clock set back an hour: detected, invalid, and the grace is not stretched."""
    client = make_client()
    client.login("carol", PASSWORD)
    client.heartbeat()
    server.offline = True
    clock.advance(600)
    assert client.heartbeat().valid
    clock.wall -= timedelta(hours=1)
    status = client.heartbeat()
    assert (status.valid, status.reason) == (False, "clock_rollback")


def test_clock_rollback_is_detected_after_a_restart(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """A new process with the clock set back below the last time seen refuses the saved lease."""
    client = make_client()
    client.login("carol", PASSWORD)
    client.heartbeat()
    clock.advance(1500)
    assert client.status().valid
    client.close()
    server.offline = True
    clock.wall -= timedelta(minutes=40)
    clock.mono = 5.0  # a new process: its monotonic clock starts over
    status = make_client().status()
    assert (status.valid, status.reason) == (False, "clock_rollback")


def test_saved_lease_keeps_a_restarted_app_valid_offline(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """After a restart without network, the saved, re-verified lease still gives the grace period."""
    first = make_client()
    first.login("carol", PASSWORD)
    first.heartbeat()
    first.close()
    server.offline = True
    clock.advance(1000)
    restarted = make_client()
    assert restarted.resume()
    assert restarted.heartbeat().valid
    clock.advance(800)
    assert restarted.heartbeat().reason == "grace_expired"


def test_monotonic_deadline_bounds_the_grace_in_process(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """A wall clock frozen (or slowly set back) in the process does not outlive the monotonic deadline."""
    client = make_client()
    client.login("carol", PASSWORD)
    client.heartbeat()
    server.offline = True
    clock.mono += 1800
    assert client.heartbeat().reason == "grace_expired"


def test_skewed_clock_is_judged_in_server_time(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """A local clock two hours behind the server neither voids nor stretches the lease."""
    client = make_client()
    client.login("carol", PASSWORD)
    server.clock = FakeClock(clock.wall + timedelta(hours=2))
    assert client.heartbeat().valid
    server.offline = True
    clock.advance(1799)
    assert client.heartbeat().valid
    clock.advance(1)
    assert client.heartbeat().reason == "grace_expired"


def test_lease_signed_by_another_key_is_not_kept(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """A lease that does not verify against the JWKS key is refused; the last good one still counts."""
    client = make_client()
    client.login("carol", PASSWORD)
    good = client.heartbeat()
    server.key = Ed25519PrivateKey.generate()  # signs with a key the JWKS (already fetched) does not hold
    clock.advance(60)
    status = client.heartbeat()
    assert not status.online
    assert status.lease_expires_at == good.lease_expires_at


def test_server_says_license_expired(make_client: MakeClient, server: FakeServer) -> None:
    """A heartbeat whose lease says license_expired makes the license invalid with that reason."""
    told: list[LicenseStatus] = []
    client = make_client(callbacks=Callbacks(on_invalid=told.append))
    client.login("carol", PASSWORD)
    server.license_code = "license_expired"
    assert client.heartbeat().reason == "license_expired"
    assert [status.reason for status in told] == ["license_expired"]


def test_judge_rules() -> None:
    """The pure rule: no lease, rollback, server's reason, lease end and license end, in that order."""
    assert judge(None, START, None) == "no_lease"
    assert judge(LEASE, START + timedelta(minutes=29), None) is None
    assert judge(LEASE, START + timedelta(minutes=30), None) == "grace_expired"
    assert judge(LEASE, START, START + timedelta(minutes=2)) == "clock_rollback"
    assert judge(LEASE, START, START + timedelta(seconds=30)) is None
    expired = Lease("t", True, None, START, START, START + timedelta(minutes=30), "d", "s")
    assert judge(expired, START + timedelta(seconds=1), None) == "license_expired"


def test_replayed_old_answer_does_not_extend_the_grace(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """An old heartbeat answer replayed later (its lease still signed) is judged by its signed time:
    it cannot move the client's idea of server time back, so it never extends the grace."""
    client = make_client()
    client.login("carol", PASSWORD)
    recorded: list[httpx.Response] = []

    def record(request: httpx.Request, body: Any) -> httpx.Response:
        response = server.heartbeat(request, body)
        recorded.append(response)
        return response

    server.extra_routes["POST /client/heartbeat"] = record
    client.heartbeat()
    clock.advance(1700)
    assert client.heartbeat().valid
    old = recorded[0]
    server.extra_routes["POST /client/heartbeat"] = lambda *_: httpx.Response(200, json=old.json())
    clock.advance(600)
    status = client.heartbeat()
    assert (status.valid, status.reason) == (False, "clock_rollback")
