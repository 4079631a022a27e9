"""Logins reveal nothing about which accounts exist, every failure is an event, and password hashing is
capped: beyond the cap a login is refused at once with 503 rather than queued."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from adapters.passwords import Argon2Hasher, GatedHasher
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import COMPONENTS, PASSWORD, Api, web_session
from tests.fakes import FastHasher
from tests.ledger.scenarios import appended, head

LOGINS = {
    "/auth/login": {},
    "/auth/client/login": {"fingerprint": {"components": COMPONENTS}, "client_version": "1.0.0"},
}
STALL_LIMIT_S = 10.0


def login(api: Api, path: str, username: str, password: str, request_id: str = "same-id") -> httpx2.Response:
    body = {"username": username, "password": password, **LOGINS[path]}
    return api.client.post(path, json=body, headers={"X-Request-ID": request_id})


@pytest.fixture
def lite(tmp_path: Path, now: datetime) -> Iterator[Api]:
    """The app over SQLite only: response shapes and hasher calls do not depend on the store."""
    with sqlite_api(tmp_path, now) as harness:
        yield harness


def fast_hasher(api: Api) -> FastHasher:
    assert isinstance(api.ledger.hasher, FastHasher)
    return api.ledger.hasher


@pytest.mark.parametrize("path", list(LOGINS))
def test_unknown_user_and_wrong_password_answer_the_same_bytes(lite: Api, path: str) -> None:
    """An unknown username and a wrong password get the same status, headers and body, byte for byte
    (given the same request id, the only part that differs between two responses)."""
    lite.create_account("alice")
    unknown = login(lite, path, "mallory", PASSWORD)
    wrong = login(lite, path, "alice", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.content == wrong.content
    assert unknown.json()["code"] == "invalid_credentials"
    assert sorted(unknown.headers.multi_items()) == sorted(wrong.headers.multi_items())


@pytest.mark.parametrize("path", list(LOGINS))
def test_bodies_differ_only_in_request_id(lite: Api, path: str) -> None:
    """With different request ids, the two failures differ only in ``request_id``."""
    lite.create_account("alice")
    unknown = login(lite, path, "mallory", PASSWORD, "first").json()
    wrong = login(lite, path, "alice", "not the password", "second").json()
    assert unknown.pop("request_id") == "first"
    assert wrong.pop("request_id") == "second"
    assert unknown == wrong


@pytest.mark.parametrize("path", list(LOGINS))
@pytest.mark.parametrize("username", ["mallory", "no such user!", "x", "M" * 64])
def test_unknown_usernames_spend_a_dummy_verification(lite: Api, path: str, username: str) -> None:
    """A login for a username that does not (or cannot) exist runs the hasher's dummy verify once."""
    hasher = fast_hasher(lite)
    before = hasher.dummy_calls
    assert login(lite, path, username, PASSWORD).status_code == 401
    assert hasher.dummy_calls == before + 1


def test_wrong_password_and_success_need_no_dummy(lite: Api) -> None:
    """A real account's login (right or wrong password) is a real verification, not a dummy one."""
    lite.create_account("alice")
    hasher = fast_hasher(lite)
    assert login(lite, "/auth/login", "alice", "not the password").status_code == 401
    assert login(lite, "/auth/login", "alice", PASSWORD).status_code == 200
    assert hasher.dummy_calls == 0


def failures_after(api: Api, start: int) -> list[str]:
    """The LoginFailed events appended after notification ``start``, as ``Aggregate.LoginFailed``."""
    return sorted(name for name in appended(api.ledger, start) if name.endswith(".LoginFailed"))


def test_failures_are_recorded_as_events(api: Api) -> None:
    """A wrong password is a LoginFailed event on the account and on the client's address; an unknown
    username only on the address; a success records no failure."""
    api.create_account("alice")
    start = head(api.ledger)
    login(api, "/auth/login", "alice", "not the password")
    assert failures_after(api, start) == ["Account.LoginFailed", "IpAddress.LoginFailed"]
    start = head(api.ledger)
    login(api, "/auth/client/login", "mallory", PASSWORD)
    assert failures_after(api, start) == ["IpAddress.LoginFailed"]
    start = head(api.ledger)
    login(api, "/auth/login", "alice", PASSWORD)
    assert failures_after(api, start) == []


def test_failure_events_carry_the_client_address(api: Api) -> None:
    """The recorded failure names the client's address, so the windows can be rebuilt from the ledger."""
    login(api, "/auth/login", "mallory", PASSWORD)
    address = api.ledger.ip_address("203.0.113.7")
    assert address is not None
    stored: list[Any] = list(api.ledger.events.get(address.id))
    (failed,) = [e for e in stored if type(e).__name__ == "LoginFailed"]
    assert failed.context["client_ip"] == "203.0.113.7"


class StallingHasher(Argon2Hasher):
    """The fast fake, except that once armed a verification (real or dummy) waits for ``release``: a
    deliberately slow hasher whose slowness the test controls."""

    def __init__(self) -> None:  # no Argon2 parameters: nothing here hashes for real
        self.fast = FastHasher()
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def _stall(self) -> None:
        if self.armed:
            self.entered.set()
            assert self.release.wait(STALL_LIMIT_S), "the test never released the hasher"

    def hash(self, password: str) -> str:
        return self.fast.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self._stall()
        return self.fast.verify(password_hash, password)

    def dummy_verify(self, password: str) -> None:
        self._stall()
        self.fast.dummy_verify(password)


@pytest.fixture
def stalling() -> StallingHasher:
    return StallingHasher()


@pytest.fixture
def gated(tmp_path: Path, now: datetime, stalling: StallingHasher) -> Iterator[Api]:
    """The app whose hasher has one slot, over a hasher the test can hold inside a verification."""
    with sqlite_api(tmp_path, now, hasher=GatedHasher(stalling, 1)) as harness:
        harness.create_account("alice")
        harness.create_account("root", Role.ADMIN)
        yield harness


def held_login(api: Api, stalling: StallingHasher, pool: ThreadPoolExecutor) -> Future[httpx2.Response]:
    """A login of alice, started in another thread and held inside its password verification."""
    stalling.armed = True
    held = pool.submit(login, api, "/auth/login", "alice", PASSWORD, "held")
    assert stalling.entered.wait(STALL_LIMIT_S), "the first login never reached the hasher"
    return held


@pytest.mark.parametrize(
    ("path", "username", "extra"),
    [
        ("/auth/login", "alice", {}),
        ("/auth/login", "mallory", {}),
        ("/auth/client/login", "alice", LOGINS["/auth/client/login"]),
    ],
    ids=["web login", "unknown user (dummy verify)", "desktop login"],
)
def test_logins_beyond_the_hashing_cap_get_503_at_once(
    gated: Api, stalling: StallingHasher, path: str, username: str, extra: dict[str, Any]
) -> None:
    """While every hashing slot is busy, another login is answered 503 ``busy`` with Retry-After before
    the busy one finishes (it does not queue); the busy one then completes normally."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = held_login(gated, stalling, pool)
        try:
            refused = gated.client.post(path, json={"username": username, "password": PASSWORD, **extra})
            assert not held.done(), "the second login waited for the first"
        finally:
            stalling.release.set()
        assert held.result(STALL_LIMIT_S).status_code == 200
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "busy"
    assert int(refused.headers["retry-after"]) >= 1


def test_a_freed_slot_serves_the_next_login(gated: Api, stalling: StallingHasher) -> None:
    """Once the busy login finishes, its slot is free again: the next login succeeds."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = held_login(gated, stalling, pool)
        stalling.release.set()
        assert held.result(STALL_LIMIT_S).status_code == 200
    assert login(gated, "/auth/login", "alice", PASSWORD).status_code == 200


def test_a_busy_refusal_is_not_a_failed_login(gated: Api, stalling: StallingHasher) -> None:
    """A login refused for lack of a hashing slot records no LoginFailed event (nothing was checked)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = held_login(gated, stalling, pool)
        start = head(gated.ledger)
        try:
            assert login(gated, "/auth/login", "alice", "not the password").status_code == 503
            during = appended(gated.ledger, start)
        finally:
            stalling.release.set()
        held.result(STALL_LIMIT_S)
    assert during == []


def test_admin_writes_that_hash_are_capped_too(gated: Api, stalling: StallingHasher) -> None:
    """Setting a password while every slot is busy is 503 ``busy`` as well, and changes nothing."""
    web = web_session(gated, "root")
    alice = gated.ledger.account_id_for("alice")
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = held_login(gated, stalling, pool)
        try:
            response = gated.client.post(
                f"/admin/users/{alice}/password", json={"password": "a brand new password"}, headers=web
            )
        finally:
            stalling.release.set()
        held.result(STALL_LIMIT_S)
    assert (response.status_code, response.json()["code"]) == (503, "busy")
    assert login(gated, "/auth/login", "alice", PASSWORD).status_code == 200
