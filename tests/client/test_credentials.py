"""Secrets in the OS keyring: device key pair, refresh token only when remembered, no plaintext ever."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from keyledger_client import KeyledgerClient, KeyringUnavailable
from keyledger_client.credentials import DEVICE_KEY, REFRESH_TOKEN, SecretStore, is_secure
from keyledger_client.state_seal import STATE_MAC_KEY
from keyring.backend import KeyringBackend
from keyring.backends import fail

from tests.client.conftest import MakeClient
from tests.client.fakes import PASSWORD, READERS, SERVER, FakeServer, MemoryKeyring

SERVICE = "keyledger:keyledger"
NO_KEYRING: KeyringBackend = fail.Keyring()  # type: ignore[no-untyped-call]


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's plaintext file keyring."""


def test_no_keyring_backend_gives_the_clear_error(server: FakeServer, tmp_path: Path) -> None:
    """Without a secure backend, login fails before the password is sent, saying how to fix it."""
    previous = keyring.get_keyring()
    keyring.set_keyring(NO_KEYRING)
    try:
        client = KeyledgerClient(SERVER, transport=server.transport(), home=tmp_path, readers=READERS)
        with pytest.raises(KeyringUnavailable, match="never keeps secrets in plaintext") as caught:
            client.login("carol", PASSWORD)
        client.close()
    finally:
        keyring.set_keyring(previous)
    assert "Secret Service" in str(caught.value)
    assert server.calls == []


def test_plaintext_backends_are_refused() -> None:
    """A keyring that stores secrets in a readable file counts as no keyring at all."""
    assert not is_secure(PlaintextKeyring())
    assert not is_secure(NO_KEYRING)
    assert is_secure(MemoryKeyring())
    with pytest.raises(KeyringUnavailable):
        SecretStore("app", PlaintextKeyring()).put(REFRESH_TOKEN, "secret")


def test_remember_me_keeps_the_refresh_token(make_client: MakeClient, memory_keyring: MemoryKeyring) -> None:
    """Remembered: the refresh token is in the keyring and a new process resumes without a password."""
    make_client().login("carol", PASSWORD, remember=True)
    assert memory_keyring.secrets[(SERVICE, REFRESH_TOKEN)] == "refresh-1"
    later = make_client()
    assert later.resume()
    assert later.license()["valid"] is True


def test_not_remembered_keeps_no_refresh_token(
    make_client: MakeClient, memory_keyring: MemoryKeyring
) -> None:
    """Not remembered: the session works in this process only; the keyring holds the device key and the
    state's seal key, no refresh token."""
    client = make_client()
    client.login("carol", PASSWORD, remember=False)
    assert client.license()["valid"] is True
    assert set(memory_keyring.secrets) == {(SERVICE, DEVICE_KEY), (SERVICE, STATE_MAC_KEY)}
    assert not make_client().resume()


def test_device_key_pair_made_on_first_login_and_public_half_sent(
    make_client: MakeClient, server: FakeServer, memory_keyring: MemoryKeyring
) -> None:
    """The first login makes an X25519 key pair, keeps the private half and sends the public half;
    later logins reuse it."""
    make_client().login("carol", PASSWORD)
    make_client().login("carol", PASSWORD)
    stored = memory_keyring.secrets[(SERVICE, DEVICE_KEY)]
    public = X25519PrivateKey.from_private_bytes(bytes.fromhex(stored)).public_key().public_bytes_raw().hex()
    assert [login["public_key"] for login in server.logins] == [public, public]
    assert len(public) == 64
    assert stored not in str(server.logins)


def test_state_file_holds_no_secret(
    make_client: MakeClient, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """The local state file never contains the refresh token, the access token or the private key."""
    client = make_client()
    client.login("carol", PASSWORD)
    client.heartbeat()
    text = (tmp_path / "home" / "state.json").read_text()
    for secret in memory_keyring.secrets.values():
        assert secret not in text
    assert "access-1" not in text
