"""Per-device grants: HPKE-wrapped data keys that open only on their device, for their file, before expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.hpke import MLKEM768X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from adapters.grants import (
    HYBRID_SUITE,
    PREFIX_LENGTH,
    X25519_SUITE,
    DevicePrivateKey,
    GrantExpired,
    GrantRefused,
    GrantTarget,
    InvalidDeviceKey,
    grant_length,
    open_grant,
    parse_device_key,
    seal_grant,
)
from tests.adapters.strategies import identifiers

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=1)
TARGET = GrantTarget("file-1", "2.4.0", "device-1")
DATA_KEY = bytes(range(32))
X_KEY = X25519PrivateKey.generate()
PQ_PART, CLASSIC_PART = MLKEM768PrivateKey.generate(), X25519PrivateKey.generate()
HYBRID_KEY = MLKEM768X25519PrivateKey(PQ_PART, CLASSIC_PART)
X_PUBLIC = X_KEY.public_key().public_bytes_raw()
HYBRID_PUBLIC = PQ_PART.public_key().public_bytes_raw() + CLASSIC_PART.public_key().public_bytes_raw()
DEVICES: list[tuple[DevicePrivateKey, bytes]] = [(X_KEY, X_PUBLIC), (HYBRID_KEY, HYBRID_PUBLIC)]
GRANTS = {public: seal_grant(DATA_KEY, public, TARGET, EXPIRES) for _, public in DEVICES}


def refused(private_key: DevicePrivateKey, header: bytes, expected: GrantTarget = TARGET) -> bool:
    try:
        open_grant(private_key, header, expected=expected, now=NOW)
    except GrantRefused:
        return True
    return False


@pytest.mark.parametrize(("private_key", "public"), DEVICES, ids=["x25519", "mlkem768-x25519"])
def test_a_grant_opens_on_its_device(private_key: DevicePrivateKey, public: bytes) -> None:
    """The device's private key opens its grant: the data key, target and expiry come back."""
    grant = open_grant(private_key, GRANTS[public], expected=TARGET, now=NOW)
    assert (grant.data_key, grant.target, grant.expires_at) == (DATA_KEY, TARGET, EXPIRES)
    assert DATA_KEY.hex() not in repr(grant)


def test_the_suite_follows_the_registered_key() -> None:
    """A 32-byte device key gets DHKEM(X25519); a 1216-byte one gets MLKEM768-X25519."""
    assert parse_device_key(X_PUBLIC)[0] is X25519_SUITE
    assert parse_device_key(HYBRID_PUBLIC)[0] is HYBRID_SUITE
    assert GRANTS[X_PUBLIC][9:11] == b"\x00\x20"
    assert GRANTS[HYBRID_PUBLIC][9:11] == b"\x64\x7a"


@pytest.mark.parametrize(("private_key", "public"), DEVICES, ids=["x25519", "mlkem768-x25519"])
def test_another_devices_key_cannot_open_a_grant(private_key: DevicePrivateKey, public: bytes) -> None:
    """A grant sealed to one device does not open with another device's key of the same kind."""
    other = seal_grant(DATA_KEY, public, TARGET, EXPIRES)
    stranger: DevicePrivateKey = (
        X25519PrivateKey.generate()
        if private_key is X_KEY
        else MLKEM768X25519PrivateKey(MLKEM768PrivateKey.generate(), X25519PrivateKey.generate())
    )
    assert refused(stranger, other)


@pytest.mark.parametrize(
    "expected",
    [
        GrantTarget("file-2", "2.4.0", "device-1"),
        GrantTarget("file-1", "2.4.1", "device-1"),
        GrantTarget("file-1", "2.4.0", "device-2"),
    ],
    ids=["file", "version", "device"],
)
def test_a_grant_for_another_file_version_or_device_is_refused(expected: GrantTarget) -> None:
    """A grant is refused when its file, release version or device is not the one asked for."""
    assert refused(X_KEY, GRANTS[X_PUBLIC], expected)


@pytest.mark.parametrize(
    ("old", "new"), [(b"file-1", b"file-9"), (b"device-1", b"device-9"), (b"2.4.0", b"9.4.0")]
)
def test_relabelling_a_grant_is_refused(old: bytes, new: bytes) -> None:
    """Rewriting the file, version or device in the header (to match the request) breaks the HPKE info."""
    header = GRANTS[X_PUBLIC]
    relabelled = header.replace(old, new)
    expected = GrantTarget(*(value.replace(old.decode(), new.decode()) for value in vars(TARGET).values()))
    assert refused(X_KEY, relabelled, expected)


def test_extending_the_expiry_is_refused() -> None:
    """Moving the expiry later in the header is refused: the expiry is part of the HPKE info."""
    header = GRANTS[X_PUBLIC]
    later = int((EXPIRES + timedelta(days=365)).timestamp()).to_bytes(8, "big")
    assert refused(X_KEY, header[:15] + later + header[23:])


def test_a_grant_expires_at_its_expiry() -> None:
    """A grant opens until the second before its expiry and is refused as expired from then on."""
    header = GRANTS[X_PUBLIC]
    assert open_grant(X_KEY, header, expected=TARGET, now=EXPIRES - timedelta(seconds=1)).data_key == DATA_KEY
    with pytest.raises(GrantExpired):
        open_grant(X_KEY, header, expected=TARGET, now=EXPIRES)


def test_a_grant_for_the_other_kind_of_key_is_refused() -> None:
    """An X25519 key is not tried on a hybrid grant, nor the reverse."""
    assert refused(X_KEY, GRANTS[HYBRID_PUBLIC])
    assert refused(HYBRID_KEY, GRANTS[X_PUBLIC])


@pytest.mark.parametrize(("private_key", "public"), DEVICES, ids=["x25519", "mlkem768-x25519"])
@given(data=st.data())
def test_any_changed_byte_of_a_grant_is_refused(
    private_key: DevicePrivateKey, public: bytes, data: st.DataObject
) -> None:
    """Changing any one byte of a grant header makes it refuse to open."""
    header = bytearray(GRANTS[public])
    header[data.draw(st.integers(0, len(header) - 1))] ^= data.draw(st.integers(1, 255))
    assert refused(private_key, bytes(header))


@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_as_a_grant(junk: bytes) -> None:
    """Untrusted bytes given as a grant fail with GrantRefused and nothing else."""
    assert refused(X_KEY, junk)


@given(st.binary(min_size=PREFIX_LENGTH, max_size=PREFIX_LENGTH))
def test_grant_length_is_read_or_refused(prefix: bytes) -> None:
    """The length in a grant's first bytes is bounded, or the prefix is refused."""
    try:
        length = grant_length(prefix)
    except GrantRefused:
        return
    assert PREFIX_LENGTH < length <= 8192


@given(st.binary(max_size=1300) | st.binary(min_size=1216, max_size=1216))
def test_device_keys_parse_or_are_refused(raw: bytes) -> None:
    """Untrusted device key bytes give a suite and key of the right length, or InvalidDeviceKey."""
    try:
        suite, _ = parse_device_key(raw)
    except InvalidDeviceKey:
        return
    assert suite.public_key_length == len(raw)


@pytest.mark.parametrize("point", [bytes(32), (1).to_bytes(32, "little")])
def test_low_order_x25519_points_are_refused(point: bytes) -> None:
    """X25519 keys whose shared secret would be zero are refused at registration."""
    with pytest.raises(InvalidDeviceKey):
        parse_device_key(point)


@given(identifiers(), identifiers(), identifiers())
def test_any_identifiers_round_trip(file_id: str, version: str, device_id: str) -> None:
    """Any non-empty UTF-8 identifiers survive sealing and opening."""
    target = GrantTarget(file_id, version, device_id)
    header = seal_grant(DATA_KEY, X_PUBLIC, target, EXPIRES)
    assert open_grant(X_KEY, header, expected=target, now=NOW).target == target
