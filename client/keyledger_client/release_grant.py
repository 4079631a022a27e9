"""The grant at the front of a download: this device's copy of a release file's data key, sealed with HPKE
(RFC 9180) to the device's public key. Integers are big-endian; field(x) is x's length (u16) then x.

    grant = "KLGR" ‖ 0x01 ‖ grant length (u32) ‖ kem id (u16) ‖ kdf id (u16) ‖ aead id (u16)
            ‖ expires at (u64, Unix seconds) ‖ field(file id) ‖ field(release version) ‖ field(device id)
            ‖ field(enc ‖ HPKE-sealed data key)
    info  = field("keyledger/grant/v1") ‖ field(file id) ‖ field(release version) ‖ field(device id)
            ‖ field(expires at as u64)

Written from docs/file-format.md; the client imports none of the server's packages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, MLKEM768X25519PrivateKey, Suite

from keyledger_client.errors import GrantExpired, ReleaseRejected

PREFIX_LENGTH = 9
MAX_GRANT_LENGTH = 8192
_MAGIC = b"KLGR\x01"
_INFO_LABEL = b"keyledger/grant/v1"
_SUITES = {0x0020: KEM.X25519, 0x647A: KEM.MLKEM768_X25519}
_KDF_AEAD = b"\x00\x01\x00\x02"  # HKDF-SHA256, AES-256-GCM

DeviceSecret = X25519PrivateKey | MLKEM768X25519PrivateKey


@dataclass(frozen=True)
class ExpectedRelease:
    """What this device asked for, and the plaintext SHA-256 the release (and the ledger) records."""

    file_id: str
    release_version: str
    device_id: str
    sha256: bytes


def grant_length(prefix: bytes) -> int:
    """The whole grant's length, from its first :data:`PREFIX_LENGTH` bytes."""
    length = int.from_bytes(prefix[5:9], "big")
    if prefix[:5] != _MAGIC or not PREFIX_LENGTH < length <= MAX_GRANT_LENGTH:
        raise ReleaseRejected("the download does not start with a Keyledger grant")
    return length


def open_grant(device_key: DeviceSecret, grant: bytes, expected: ExpectedRelease, now: datetime) -> bytes:
    """The data key in ``grant``, if it names the expected file, release and device, opens with this
    device's key and has not expired at ``now``."""
    if grant_length(grant[:PREFIX_LENGTH]) != len(grant):
        raise ReleaseRejected("the grant's length does not match")
    kem, expires, ids, sealed = _parse(grant)
    if ids != (expected.file_id, expected.release_version, expected.device_id):
        raise ReleaseRejected(f"the grant is for file {ids[0]}, release {ids[1]}, device {ids[2]}")
    if isinstance(device_key, X25519PrivateKey) != (kem == KEM.X25519):
        raise ReleaseRejected("the grant is sealed to another kind of device key")
    info = (
        _field(_INFO_LABEL) + b"".join(_field(i.encode()) for i in ids) + _field(expires.to_bytes(8, "big"))
    )
    try:
        data_key = Suite(kem, KDF.HKDF_SHA256, AEAD.AES_256_GCM).decrypt(sealed, device_key, info=info)
    except (InvalidTag, ValueError):
        raise ReleaseRejected("the grant does not open with this device's key") from None
    if now >= datetime.fromtimestamp(expires, UTC):
        raise GrantExpired("the download's grant has expired")
    return data_key


def _parse(grant: bytes) -> tuple[KEM, int, tuple[str, str, str], bytes]:
    kem = _SUITES.get(int.from_bytes(grant[9:11], "big"))
    if kem is None or grant[11:15] != _KDF_AEAD:
        raise ReleaseRejected("the grant uses an HPKE suite this client does not know")
    at, fields = 23, []
    for _ in range(4):
        size = int.from_bytes(grant[at : at + 2], "big")
        if at + 2 + size > len(grant):
            raise ReleaseRejected("the grant is malformed")
        fields.append(grant[at + 2 : at + 2 + size])
        at += 2 + size
    if at != len(grant) or len(fields[3]) != kem.enc_length() + 48:
        raise ReleaseRejected("the grant is malformed")
    try:
        ids = (fields[0].decode(), fields[1].decode(), fields[2].decode())
    except UnicodeDecodeError:
        raise ReleaseRejected("the grant's identifiers are not UTF-8") from None
    return kem, int.from_bytes(grant[15:23], "big"), ids, fields[3]


def _field(value: bytes) -> bytes:
    return len(value).to_bytes(2, "big") + value
