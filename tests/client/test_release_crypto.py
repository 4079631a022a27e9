"""The client opens a download (grant + stored ciphertext) in memory, and refuses anything else."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from keyledger_client.errors import GrantExpired, ReleaseRejected
from keyledger_client.hybrid_device_keys import HybridDeviceKey
from keyledger_client.release_crypto import decrypt_release
from keyledger_client.release_grant import DeviceSecret, ExpectedRelease

from adapters.grants import GrantTarget, seal_grant
from adapters.stream_aead import SEGMENT_SIZE, new_data_key, seal
from tests.adapters.strategies import chunk_sizes, split

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TARGET = GrantTarget("file-1", "2.4.0", "device-1")
DEVICE = X25519PrivateKey.generate()
DEVICE_PUBLIC = DEVICE.public_key().public_bytes_raw()
HYBRID = HybridDeviceKey.generate()


def expected_for(plaintext: bytes, target: GrantTarget = TARGET) -> ExpectedRelease:
    return ExpectedRelease(
        target.file_id, target.release_version, target.device_id, hashlib.sha256(plaintext).digest()
    )


def download(
    plaintext: bytes, public: bytes = DEVICE_PUBLIC, segment_size: int = 64, hours: int = 1
) -> bytes:
    """What the server sends: a grant for ``public``, then the file sealed once at upload."""
    data_key = new_data_key()
    sealed = b"".join(seal(data_key, [plaintext], segment_size=segment_size))
    return seal_grant(data_key, public, TARGET, NOW + timedelta(hours=hours)) + sealed


def decrypted(body: Iterable[bytes], plaintext: bytes, key: DeviceSecret = DEVICE) -> bytes:
    return b"".join(decrypt_release(key, body, expected_for(plaintext), NOW))


def refused(body: bytes, plaintext: bytes) -> bool:
    try:
        decrypted([body], plaintext)
    except ReleaseRejected:
        return True
    return False


PLAINTEXT = bytes(range(256)) * 3  # 768 bytes: 12 segments of 64
DOWNLOAD = download(PLAINTEXT)


@pytest.mark.parametrize("size", [0, 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE + 5])
def test_a_download_decrypts_to_the_release(size: int) -> None:
    """Files of every shape, in 64 KiB segments, come back byte for byte."""
    plaintext = bytes(i % 253 for i in range(size))
    body = download(plaintext, segment_size=SEGMENT_SIZE)
    assert decrypted(split(body, 50_000), plaintext) == plaintext


def test_a_hybrid_post_quantum_device_key_opens_its_download() -> None:
    """A device that registered an MLKEM768-X25519 key gets a hybrid grant it opens with that key."""
    body = download(PLAINTEXT, public=HYBRID.public_bytes)
    assert decrypted([body], PLAINTEXT, HYBRID.private) == PLAINTEXT


def test_the_hybrid_key_survives_its_stored_form() -> None:
    """A hybrid key restored from its keyring form is the same key; its repr never shows the private half."""
    restored = HybridDeviceKey.from_private_hex(HYBRID.private_hex())
    assert restored.public_bytes == HYBRID.public_bytes
    assert len(HYBRID.public_bytes) == 1216
    assert HYBRID.private_hex() not in repr(HYBRID)


@given(chunk_sizes(), st.integers(0, len(DOWNLOAD)))
def test_a_resumed_download_is_one_stream(chunk: int, resume_at: int) -> None:
    """A download cut anywhere and resumed with a Range request decrypts as if it had never stopped."""
    first, rest = DOWNLOAD[:resume_at], DOWNLOAD[resume_at:]
    assert decrypted([*split(first, chunk), *split(rest, chunk)], PLAINTEXT) == PLAINTEXT


def test_a_wrong_digest_withholds_the_last_segment() -> None:
    """When the plaintext's SHA-256 is not the release's, the last segment is never released."""
    wrong = ExpectedRelease("file-1", "2.4.0", "device-1", bytes(32))
    released: list[bytes] = []
    with pytest.raises(ReleaseRejected, match="SHA-256"):
        released.extend(decrypt_release(DEVICE, [DOWNLOAD], wrong, NOW))
    assert b"".join(released) == PLAINTEXT[:-64]


@given(st.data())
def test_any_changed_byte_of_a_download_is_refused(data: st.DataObject) -> None:
    """Changing any one byte, in the grant or in the sealed file, is refused."""
    body = bytearray(DOWNLOAD)
    body[data.draw(st.integers(0, len(body) - 1))] ^= data.draw(st.integers(1, 255))
    assert refused(bytes(body), PLAINTEXT)


@given(st.integers(0, len(DOWNLOAD) - 1))
def test_a_truncated_download_is_refused(end: int) -> None:
    """A download cut anywhere, at a segment boundary or inside a segment or header, is refused."""
    assert refused(DOWNLOAD[:end], PLAINTEXT)


@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_refused(junk: bytes) -> None:
    """Untrusted bytes given as a download fail with ReleaseRejected and nothing else."""
    assert refused(junk, PLAINTEXT)


@pytest.mark.parametrize(
    "target",
    [GrantTarget("file-2", "2.4.0", "device-1"), GrantTarget("file-1", "2.4.0", "device-2")],
    ids=["file", "device"],
)
def test_a_download_for_another_file_or_device_is_refused(target: GrantTarget) -> None:
    """The client refuses a grant that names a file or device other than the one it asked for."""
    with pytest.raises(ReleaseRejected, match="grant is for"):
        b"".join(decrypt_release(DEVICE, [DOWNLOAD], expected_for(PLAINTEXT, target), NOW))


def test_another_devices_download_does_not_open() -> None:
    """A download granted to another device's key does not open with this one."""
    other = X25519PrivateKey.generate().public_key().public_bytes_raw()
    assert refused(download(PLAINTEXT, public=other), PLAINTEXT)


def test_an_expired_grant_is_refused_as_expired() -> None:
    """A grant whose expiry has passed raises GrantExpired: the caller asks for a new download."""
    with pytest.raises(GrantExpired):
        decrypted([download(PLAINTEXT, hours=0)], PLAINTEXT)


def megabytes(count: int) -> Iterator[bytes]:
    block = bytes(range(256)) * 4096
    for _ in range(count):
        yield block


def test_decryption_runs_in_constant_memory() -> None:
    """Decrypting a 32 MiB download streamed from the sealer holds at most ~4 MiB at once."""
    count, data_key = 32, new_data_key()
    digest = hashlib.sha256()
    for block in megabytes(count):
        digest.update(block)
    grant = seal_grant(data_key, DEVICE_PUBLIC, TARGET, NOW + timedelta(hours=1))
    expected = ExpectedRelease("file-1", "2.4.0", "device-1", digest.digest())
    tracemalloc.start()
    try:
        body = chain([grant], seal(data_key, megabytes(count)))
        size = sum(len(piece) for piece in decrypt_release(DEVICE, body, expected, NOW))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size == count * 1024 * 1024
    assert peak < 4 * 1024 * 1024
