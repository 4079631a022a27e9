"""The sealed state: state.json carries an HMAC under a key in the OS keyring; a state whose seal does not
verify loses everything it says about the license (lease, times, learned keys) and the client reports
``state_tampered`` until the next heartbeat. No edit of the file ever stretches the offline grace."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from keyledger_client import Callbacks, KeyledgerClient, KeyringUnavailable, LicenseStatus
from keyledger_client.credentials import SecretStore
from keyledger_client.state_seal import StateSeal

from tests.client.conftest import MakeClient
from tests.client.fakes import PASSWORD, READERS, SERVER, FakeClock, FakeServer, MemoryKeyring, sign_key_set
from tests.client.test_credentials import NO_KEYRING
from tests.client.test_lease_keys import pinned

Edit = Callable[[dict[str, Any]], None]


def state_file(tmp_path: Path) -> Path:
    return tmp_path / "home" / "state.json"


def edit(path: Path, change: Edit, *, reseal: MemoryKeyring | None = None) -> None:
    """Changes the saved state; ``reseal``: as an attacker who took the seal key out of the keyring."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    change(raw)
    if reseal is not None:
        raw.pop("mac")
        raw["mac"] = StateSeal(SecretStore("keyledger", reseal)).seal(raw)
    path.write_text(json.dumps(raw), encoding="utf-8")


def later(name: str, days: int) -> Edit:
    def change(raw: dict[str, Any]) -> None:
        raw[name] = (datetime.fromisoformat(raw[name]) + timedelta(days=days)).isoformat()

    return change


def saved_session(make_client: MakeClient, server: FakeServer, **options: Any) -> None:
    """A session with a fresh lease, saved; then the server goes away."""
    client = make_client(**options)
    client.login("carol", PASSWORD)
    assert client.heartbeat().valid
    client.close()
    server.offline = True


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(later("lease_local_time", 1), id="lease-local-time"),
        pytest.param(later("lease_server_time", -1), id="lease-server-time"),
        pytest.param(later("high_water", -1), id="high-water"),
        pytest.param(lambda raw: raw.update(lease=raw["lease"][:-2] + "AA"), id="lease"),
    ],
)
def test_an_edited_state_is_discarded_until_the_next_heartbeat(
    make_client: MakeClient, server: FakeServer, tmp_path: Path, change: Edit
) -> None:
    """An edited time or lease: not valid (``state_tampered``, told to on_invalid once); the next heartbeat
    brings a fresh lease and the license is valid again."""
    saved_session(make_client, server)
    edit(state_file(tmp_path), change)
    told: list[LicenseStatus] = []
    client = make_client(callbacks=Callbacks(on_invalid=told.append))
    assert [client.status().reason, client.status().reason] == ["state_tampered", "state_tampered"]
    assert [status.reason for status in told] == ["state_tampered"]
    assert client.state.lease is None
    server.offline = False
    assert client.heartbeat().valid


@pytest.mark.parametrize(("pin", "reseal"), [(True, False), (True, True), (False, False)])
def test_an_attacker_key_in_the_state_is_never_trusted(
    make_client: MakeClient,
    server: FakeServer,
    clock: FakeClock,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    pin: bool,
    reseal: bool,
) -> None:
    """The learned keys replaced by an attacker's key, with a lease re-signed by it for a month: refused.
    Unsealed, the seal fails; re-sealed with the keyring's key, the pinned keys still refuse the chain."""
    options = {"lease_keys": [pinned(server.key)]} if pin else {}
    saved_session(make_client, server, **options)
    attacker = FakeServer(clock, key=Ed25519PrivateKey.generate(), grace_s=30 * 24 * 3600)
    forged = attacker.lease(True, clock.now())

    def change(raw: dict[str, Any]) -> None:
        raw["lease_key_sets"] = [sign_key_set([attacker.key], [attacker.key], int(clock.now().timestamp()))]
        raw["lease"] = forged

    edit(state_file(tmp_path), change, reseal=memory_keyring if reseal else None)
    clock.advance(3600)  # past the real lease, well inside the forged one
    status = make_client(**options).status()
    assert not status.valid
    assert status.reason == ("no_lease" if reseal else "state_tampered")


def test_an_unsealed_state_is_not_believed_but_is_not_tampering(
    make_client: MakeClient, server: FakeServer, tmp_path: Path
) -> None:
    """A state without a seal (written by an older client) keeps the session but not the lease."""
    saved_session(make_client, server)
    edit(state_file(tmp_path), lambda raw: raw.pop("mac"))
    client = make_client()
    assert client.status().reason == "no_lease"
    assert client.state.session_id is not None


def test_without_a_keyring_nothing_new_raises(
    make_client: MakeClient, server: FakeServer, tmp_path: Path
) -> None:
    """No keyring: building the client and asking its status raise nothing (the saved lease is not
    believed); logging in raises KeyringUnavailable, as before."""
    saved_session(make_client, server)
    previous = keyring.get_keyring()
    keyring.set_keyring(NO_KEYRING)
    try:
        client = KeyledgerClient(
            SERVER, transport=server.transport(), home=tmp_path / "home", readers=READERS
        )
        assert not client.status().valid
        server.offline = False
        with pytest.raises(KeyringUnavailable):
            client.login("carol", PASSWORD)
        client.close()
    finally:
        keyring.set_keyring(previous)


def test_no_single_byte_change_stretches_the_grace(
    make_client: MakeClient, server: FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    """Any one byte of state.json changed to any value: the state is discarded (not valid) or means exactly
    what it meant; the license never outlives the real lease."""
    saved_session(make_client, server)
    path = state_file(tmp_path)
    original = path.read_bytes()
    reference = make_client()
    expected, lease_end = copy.deepcopy(reference.state), reference.status().lease_expires_at
    assert lease_end is not None

    def load(changed: bytes, at: datetime) -> KeyledgerClient:
        path.write_bytes(changed)
        return make_client(clock=FakeClock(at, clock.mono + (at - clock.wall).total_seconds()))

    @settings(max_examples=300, deadline=None)
    @given(index=st.integers(0, len(original) - 1), value=st.integers(0, 255))
    def one_byte(index: int, value: int) -> None:
        changed = original[:index] + bytes([value]) + original[index + 1 :]
        client = load(changed, clock.wall)
        loaded = copy.deepcopy(client.state)
        status = client.status()
        if status.valid:
            assert loaded == expected
            assert status.lease_expires_at == lease_end
        assert not load(changed, lease_end + timedelta(seconds=1)).status().valid

    one_byte()
