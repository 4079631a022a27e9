"""Keyed digests and deterministic index ids."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given

from domain.digests import Digests
from tests.strategies import index_purposes, index_values

DIGESTS = Digests(b"k" * 32)


def test_index_id_is_deterministic() -> None:
    """The same purpose and value always give the same id, across instances."""
    assert DIGESTS.index_id("username", "alice") == Digests(b"k" * 32).index_id("username", "alice")


def test_index_id_differs_per_purpose() -> None:
    """One value indexed for two purposes gets two ids."""
    assert DIGESTS.index_id("username", "alice") != DIGESTS.index_id("license-key", "alice")


def test_index_id_differs_per_key() -> None:
    """Another master key gives another id: ids cannot be computed without the key."""
    assert DIGESTS.index_id("username", "alice") != Digests(b"q" * 32).index_id("username", "alice")


def test_index_id_differs_per_value() -> None:
    """Two values get two ids."""
    assert DIGESTS.index_id("username", "alice") != DIGESTS.index_id("username", "alicf")


@given(index_purposes(), index_values())
def test_index_id_is_a_valid_version_8_uuid(purpose: str, value: str) -> None:
    """Every index id is an RFC 4122 variant, version-8 UUID that round-trips through its string."""
    index_id = DIGESTS.index_id(purpose, value)
    assert index_id.variant == uuid.RFC_4122
    assert index_id.version == 8
    assert uuid.UUID(str(index_id)) == index_id


def test_digest_is_hex_sha256_and_purpose_bound() -> None:
    """A digest is 64 hex characters and differs per purpose."""
    digest = DIGESTS.digest("session-token", "abc")
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert digest != DIGESTS.digest("license-key", "abc")


def test_purpose_and_value_do_not_run_together() -> None:
    """Moving characters between purpose and value changes the digest (the purpose keys the HMAC)."""
    assert DIGESTS.digest("ab", "c") != DIGESTS.digest("a", "bc")


@pytest.mark.parametrize("key", [b"", b"k" * 16, b"k" * 31])
def test_short_master_key_is_rejected(key: bytes) -> None:
    """A master key under 32 bytes is refused."""
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Digests(key)


def test_same_compares_digests() -> None:
    """same() is equality of digests."""
    digest = DIGESTS.digest("p", "v")
    assert Digests.same(digest, DIGESTS.digest("p", "v"))
    assert not Digests.same(digest, DIGESTS.digest("p", "w"))
