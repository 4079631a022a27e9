"""Password hashes are sealed before they enter an event: the stored form reveals no Argon2 hash."""

from __future__ import annotations

from adapters.passwords import Argon2Hasher, PasswordSeal

KEY = b"s" * 32


def hasher(key: bytes = KEY) -> Argon2Hasher:
    return Argon2Hasher(8192, 1, 1, PasswordSeal(key))


def test_stored_hash_is_sealed_and_verifies() -> None:
    """The stored form is sealed (no $argon2id$ in it) and verifies the right password only."""
    stored = hasher().hash("correct horse")
    assert stored.startswith("sealed:v1:")
    assert "argon2" not in stored
    assert hasher().verify(stored, "correct horse")
    assert not hasher().verify(stored, "wrong horse")


def test_another_key_or_tampering_fails_closed() -> None:
    """A hash sealed under another key, a tampered one or an unsealed one never verifies."""
    stored = hasher().hash("correct horse")
    assert not hasher(b"t" * 32).verify(stored, "correct horse")
    assert not hasher().verify(stored[:-4] + "AAAA", "correct horse")
    assert not hasher().verify("$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "correct horse")
