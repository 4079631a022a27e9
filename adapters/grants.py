"""Per-device grants, the header of a download: a file's data key wrapped to one device's public key with
HPKE (RFC 9180, base mode, single shot), bound through ``info`` to the file, release version, device and
an expiry. Integers are big-endian; field(x) is x's length as a u16 followed by x.

    grant = "KLGR" ‖ 0x01 ‖ grant length (u32) ‖ kem id (u16) ‖ kdf id (u16) ‖ aead id (u16)
            ‖ expires at (u64, Unix seconds) ‖ field(file id) ‖ field(release version) ‖ field(device id)
            ‖ field(enc ‖ HPKE-sealed data key)
    info  = field("keyledger/grant/v1") ‖ field(file id) ‖ field(release version) ‖ field(device id)
            ‖ field(expires at as u64)

docs/file-format.md is the full specification.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import (
    AEAD,
    KDF,
    KEM,
    MLKEM768X25519PrivateKey,
    MLKEM768X25519PublicKey,
    Suite,
)

from adapters import length_prefixed as lp

MAGIC = b"KLGR"
VERSION = 1
PREFIX_LENGTH = 9
MAX_GRANT_LENGTH = 8192
KDF_ID = 0x0001  # HKDF-SHA256
AEAD_ID = 0x0002  # AES-256-GCM
MLKEM768_PUBLIC_LENGTH = 1184
INFO_LABEL = b"keyledger/grant/v1"
SEALED_KEY_LENGTH = 32 + 16

DevicePublicKey = X25519PublicKey | MLKEM768X25519PublicKey
DevicePrivateKey = X25519PrivateKey | MLKEM768X25519PrivateKey


@dataclass(frozen=True)
class HpkeSuite:
    kem_id: int
    kem: KEM
    public_key_length: int

    def suite(self) -> Suite:
        return Suite(self.kem, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


X25519_SUITE = HpkeSuite(0x0020, KEM.X25519, 32)  # DHKEM(X25519, HKDF-SHA256)
HYBRID_SUITE = HpkeSuite(0x647A, KEM.MLKEM768_X25519, MLKEM768_PUBLIC_LENGTH + 32)  # MLKEM768-X25519
SUITES = {suite.kem_id: suite for suite in (X25519_SUITE, HYBRID_SUITE)}


class InvalidDeviceKey(ValueError):
    """A registered device key that is neither an X25519 nor an MLKEM768-X25519 public key."""


class GrantRefused(ValueError):
    """A grant that is malformed, for another device, file or release, or does not open with this key."""


class GrantExpired(GrantRefused):
    """A genuine grant whose expiry has passed."""


@dataclass(frozen=True)
class GrantTarget:
    file_id: str
    release_version: str
    device_id: str


@dataclass(frozen=True)
class Grant:
    target: GrantTarget
    expires_at: datetime
    data_key: bytes = field(repr=False)


def parse_device_key(raw: bytes) -> tuple[HpkeSuite, DevicePublicKey]:
    """The suite and public key for a device key as registered: 32 bytes of X25519, or 1216 bytes of
    MLKEM768-X25519 (the ML-KEM-768 encapsulation key, then the X25519 key)."""
    try:
        if len(raw) == X25519_SUITE.public_key_length:
            return X25519_SUITE, _x25519(raw)
        if len(raw) == HYBRID_SUITE.public_key_length:
            pq = MLKEM768PublicKey.from_public_bytes(raw[:MLKEM768_PUBLIC_LENGTH])
            return HYBRID_SUITE, MLKEM768X25519PublicKey(pq, _x25519(raw[MLKEM768_PUBLIC_LENGTH:]))
    except ValueError as error:
        raise InvalidDeviceKey(f"not a usable device key: {error}") from None
    raise InvalidDeviceKey(f"a device key is 32 or 1216 bytes, not {len(raw)}")


def _x25519(raw: bytes) -> X25519PublicKey:
    key = X25519PublicKey.from_public_bytes(raw)
    X25519PrivateKey.generate().exchange(key)  # refuses the low-order points, whose shared secret is zero
    return key


def seal_grant(data_key: bytes, device_key: bytes, target: GrantTarget, expires_at: datetime) -> bytes:
    """The grant header giving ``data_key`` to the device whose registered public key is ``device_key``
    until ``expires_at`` (whole seconds)."""
    if len(data_key) != SEALED_KEY_LENGTH - 16 or expires_at.tzinfo is None:
        raise ValueError("a grant takes a 32-byte data key and an aware expiry")
    suite, public_key = parse_device_key(device_key)
    expires = int(expires_at.timestamp())
    sealed = suite.suite().encrypt(data_key, public_key, info=grant_info(target, expires))
    body = suite.kem_id.to_bytes(2, "big") + KDF_ID.to_bytes(2, "big") + AEAD_ID.to_bytes(2, "big")
    body += expires.to_bytes(8, "big") + _target_fields(target) + lp.field(sealed)
    return MAGIC + bytes([VERSION]) + (PREFIX_LENGTH + len(body)).to_bytes(4, "big") + body


def grant_info(target: GrantTarget, expires: int) -> bytes:
    """The HPKE ``info`` binding a grant to its file, release, device and expiry."""
    return lp.field(INFO_LABEL) + _target_fields(target) + lp.field(expires.to_bytes(8, "big"))


def _target_fields(target: GrantTarget) -> bytes:
    ids = (target.file_id, target.release_version, target.device_id)
    return b"".join(lp.text_field(value) for value in ids)


def grant_length(prefix: bytes) -> int:
    """The whole grant's length, read from its first :data:`PREFIX_LENGTH` bytes."""
    if len(prefix) < PREFIX_LENGTH or prefix[:4] != MAGIC or prefix[4] != VERSION:
        raise GrantRefused("not a Keyledger grant (magic or version)")
    length = int.from_bytes(prefix[5:9], "big")
    if not PREFIX_LENGTH < length <= MAX_GRANT_LENGTH:
        raise GrantRefused(f"a grant of {length} bytes")
    return length


def open_grant(
    private_key: DevicePrivateKey, header: bytes, *, expected: GrantTarget, now: datetime
) -> Grant:
    """The data key in ``header``, if the grant names ``expected``, opens with this device's private key
    and has not expired at ``now``."""
    suite, expires, target, sealed = _decode(header)
    if target != expected:
        raise GrantRefused(f"the grant is for {target}, not {expected}")
    if not isinstance(private_key, X25519PrivateKey if suite is X25519_SUITE else MLKEM768X25519PrivateKey):
        raise GrantRefused("the grant is sealed to another kind of device key")
    try:
        data_key = suite.suite().decrypt(sealed, private_key, info=grant_info(target, expires))
    except (InvalidTag, ValueError):
        raise GrantRefused("the grant does not open with this device key") from None
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise GrantExpired(f"the grant expired at {expires_at.isoformat()}")
    return Grant(target, expires_at, data_key)


def _decode(header: bytes) -> tuple[HpkeSuite, int, GrantTarget, bytes]:
    if grant_length(header[:PREFIX_LENGTH]) != len(header):
        raise GrantRefused("the grant's length field does not match its size")
    reader = lp.FieldReader(header[PREFIX_LENGTH:])
    try:
        suite = SUITES.get(reader.integer(2))
        if suite is None or (reader.integer(2), reader.integer(2)) != (KDF_ID, AEAD_ID):
            raise GrantRefused("an HPKE suite this format does not use")
        expires = reader.integer(8)
        target = GrantTarget(reader.text(), reader.text(), reader.text())
        sealed = reader.field()
        reader.end()
    except lp.MalformedFields as error:
        raise GrantRefused(f"a malformed grant: {error}") from None
    if len(sealed) != suite.kem.enc_length() + SEALED_KEY_LENGTH:
        raise GrantRefused("the sealed key has the wrong length for its suite")
    return suite, expires, target, sealed
