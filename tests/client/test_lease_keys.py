"""Lease keys: the application pins them; new ones are learned only from a key set signed by a key
already trusted; without pinned keys the first set is trusted on first use and nothing replaces it."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from keyledger_client import KeySetRejected
from keyledger_client.lease_keys import KeyTrust, open_key_set, parse_lease_key

from tests.client.conftest import MakeClient
from tests.client.fakes import (
    PASSWORD,
    FakeClock,
    FakeServer,
    b64url,
    jwk_of,
    kid_of,
    raw_public,
    sign_key_set,
)
from tests.client.strategies import json_documents


def pinned(key: Ed25519PrivateKey) -> str:
    """The key as an application pins it: the JWK's ``x`` (base64url of the raw key)."""
    return b64url(raw_public(key))


def rotate(server: FakeServer, vouched_by: list[Ed25519PrivateKey]) -> Ed25519PrivateKey:
    """The server signs with a new key from now on; ``vouched_by`` also sign its key set."""
    old, server.key, server.next_keys, server.vouching = (
        server.key,
        Ed25519PrivateKey.generate(),
        [],
        vouched_by,
    )
    return old


def test_a_pinned_key_is_read_in_every_form() -> None:
    """A JWK (mapping or JSON text), the raw key in base64url or hex: the same key, with the server's kid."""
    key = Ed25519PrivateKey.generate()
    forms: list[Any] = [jwk_of(key), json.dumps(jwk_of(key)), pinned(key), raw_public(key).hex()]
    assert {parse_lease_key(form).kid for form in forms} == {kid_of(key)}
    for bad in ("", "00" * 31, "not a key", {**jwk_of(key), "kid": "someone-else"}, {"kty": "RSA"}):
        with pytest.raises(ValueError, match=r"not|kid"):
            parse_lease_key(bad)


def test_leases_verify_with_the_pinned_key(make_client: MakeClient, server: FakeServer) -> None:
    """The server's key pinned: its leases verify and are kept."""
    client = make_client(lease_keys=[pinned(server.key)])
    client.login("carol", PASSWORD)
    assert client.heartbeat().valid
    assert client.state.lease is not None


def test_a_pinned_client_refuses_a_lease_from_another_key_even_from_the_server(
    make_client: MakeClient, server: FakeServer
) -> None:
    """The server signs with a key the application did not pin and no pinned key vouches for it: the
    lease is refused, nothing is learned, the license is not valid."""
    client = make_client(lease_keys=[pinned(Ed25519PrivateKey.generate())])
    client.login("carol", PASSWORD)
    status = client.heartbeat()
    assert (status.valid, status.reason) == (False, "no_lease")
    assert server.count("GET /.well-known/keyledger-keys.jws") == 1
    assert client.state.lease_key_sets == []
    assert client.state.lease is None


def test_a_rotation_signed_by_the_pinned_key_is_accepted(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """The server switches keys; its key set is signed by the key rotated out, which the application
    pinned: the new key is learned, kept, and trusted by the next process too (offline)."""
    first = server.key
    client = make_client(lease_keys=[pinned(first)])
    client.login("carol", PASSWORD)
    assert client.heartbeat().valid
    rotate(server, vouched_by=[first])
    assert client.heartbeat().valid
    assert kid_of(server.key) in client.licensing.lease_keys.trusted()
    client.close()
    server.offline = True
    clock.advance(60)
    assert make_client(lease_keys=[pinned(first)]).status().valid


def test_a_rotation_signed_by_another_key_is_refused(make_client: MakeClient, server: FakeServer) -> None:
    """A key set vouched for by a key the client does not trust teaches it nothing: the new key's leases
    are refused."""
    client = make_client(lease_keys=[pinned(server.key)])
    client.login("carol", PASSWORD)
    assert client.heartbeat().valid
    old = rotate(server, vouched_by=[Ed25519PrivateKey.generate()])
    client.heartbeat()
    assert kid_of(server.key) not in client.licensing.lease_keys.trusted()
    assert client.state.lease is not None
    assert jwt.get_unverified_header(client.state.lease)["kid"] == kid_of(old)  # the new lease was refused


def test_the_next_key_is_learned_a_day_ahead(
    make_client: MakeClient, server: FakeServer, clock: FakeClock
) -> None:
    """The server publishes its next key; a day later a heartbeat refreshes the key set; after the switch
    (no vouching by the old key any more) the client still trusts the new key. Daily refreshes never
    lengthen the chain kept."""
    client = make_client(lease_keys=[pinned(server.key)])
    client.login("carol", PASSWORD)
    client.heartbeat()
    following = Ed25519PrivateKey.generate()
    server.next_keys = [following]
    for _ in range(3):
        clock.advance(timedelta(days=1).total_seconds())
        assert client.heartbeat().valid
    assert len(client.state.lease_key_sets) == 1
    server.key, server.next_keys = following, []
    assert client.heartbeat().valid


def test_without_pinned_keys_the_first_set_is_trusted_and_kept(
    make_client: MakeClient, server: FakeServer
) -> None:
    """Trust on first use: the first key set is believed; a server that later shows a key set of another
    key alone (not vouched for by the first) is not."""
    client = make_client()
    client.login("carol", PASSWORD)
    assert client.heartbeat().valid
    assert client.licensing.lease_keys.trusted().keys() == {kid_of(server.key)}
    rotate(server, vouched_by=[])
    client.heartbeat()
    assert kid_of(server.key) not in client.licensing.lease_keys.trusted()


def test_an_older_key_set_is_refused() -> None:
    """A set older than the one kept (a replay) is refused."""
    key = Ed25519PrivateKey.generate()
    trust = KeyTrust([parse_lease_key(pinned(key))])
    trust.accept(sign_key_set([key], [key], iat=10_000))
    with pytest.raises(KeySetRejected, match="older"):
        trust.accept(sign_key_set([key, Ed25519PrivateKey.generate()], [key], iat=1_000))


@given(document=json_documents())
def test_any_document_is_a_key_set_or_refused(document: Any) -> None:
    """Whatever a server or a state file holds, reading it as a key set gives a key set or KeySetRejected,
    and restoring it as a chain never raises."""
    with contextlib.suppress(KeySetRejected):
        open_key_set(document)
    KeyTrust([]).restore([document])
