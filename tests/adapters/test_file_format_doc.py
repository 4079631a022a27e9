"""docs/file-format.md is enough to decrypt: a decryptor written here from the page alone (cryptography's
primitives, none of our decryption code) opens what the product makes; the worked example is the code's."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import MLKEM768X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.grants import GrantTarget, grant_info, open_grant, seal_grant
from adapters.stream_aead import seal
from tests.adapters.strategies import fixed_salt, identifiers
from tests.file_format import DeviceKey, open_download

DOC = Path(__file__).resolve().parents[2] / "docs" / "file-format.md"


# --- the worked example -------------------------------------------------------------------------------
def worked_example() -> dict[str, bytes]:
    """The ``keyledger-example`` block of the page: quoted values as UTF-8, the rest as hex."""
    block = re.search(r"```keyledger-example\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert block is not None
    values: dict[str, str] = {}
    name = ""
    for line in block.group(1).splitlines():
        entry = re.match(r"([a-z0-9 ]+):\s+(.*)", line)
        if entry:
            name, values[entry.group(1)] = entry.group(1), entry.group(2)
        else:
            values[name] += line
    return {
        k: json.loads(v).encode() if v.startswith('"') else bytes.fromhex(v.replace(" ", ""))
        for k, v in values.items()
    }


EXAMPLE = worked_example()
EXAMPLE_TARGET = GrantTarget(*(EXAMPLE[k].decode() for k in ("file id", "release version", "device id")))
EXAMPLE_EXPIRES = int.from_bytes(EXAMPLE["expires at"], "big")
EXAMPLE_DEVICE = X25519PrivateKey.from_private_bytes(EXAMPLE["device private key"])


def test_the_worked_example_is_what_the_code_seals() -> None:
    """Sealing the example's plaintext with its data key, salt and segment size gives its bytes exactly."""
    key, salt, header = EXAMPLE["data key"], EXAMPLE["salt"], EXAMPLE["header"]
    size = int.from_bytes(EXAMPLE["segment size"], "big")
    sealed = b"".join(seal(key, [EXAMPLE["plaintext"]], segment_size=size, randbytes=fixed_salt(salt)))
    assert sealed == header + EXAMPLE["sealed segment 0"] + EXAMPLE["sealed segment 1"]
    assert HKDF(hashes.SHA256(), 32, salt, b"keyledger/file/v1" + header).derive(key) == EXAMPLE["file key"]


def test_the_worked_example_nonces_open_its_segments() -> None:
    """The example's two nonces (counter 0 flag 00, counter 1 flag 01) open its two segments."""
    cipher = AESGCM(EXAMPLE["file key"])
    first = cipher.decrypt(EXAMPLE["nonce 0"], EXAMPLE["sealed segment 0"], None)
    second = cipher.decrypt(EXAMPLE["nonce 1"], EXAMPLE["sealed segment 1"], None)
    assert first + second == EXAMPLE["plaintext"]
    assert len(first) == 64


def test_the_worked_example_grant_matches_the_code() -> None:
    """The example's info is the code's, its device key pair matches, and the code opens its grant."""
    public = EXAMPLE_DEVICE.public_key().public_bytes_raw()
    assert public == EXAMPLE["device public key"]
    assert grant_info(EXAMPLE_TARGET, EXAMPLE_EXPIRES) == EXAMPLE["info"]
    before = datetime.fromtimestamp(EXAMPLE_EXPIRES - 60, UTC)
    grant = open_grant(EXAMPLE_DEVICE, EXAMPLE["grant"], expected=EXAMPLE_TARGET, now=before)
    assert grant.data_key == EXAMPLE["data key"]
    expires = datetime.fromtimestamp(EXAMPLE_EXPIRES, UTC)
    fresh = seal_grant(EXAMPLE["data key"], public, EXAMPLE_TARGET, expires)
    assert fresh[:-80] == EXAMPLE["grant"][:-80]  # all but the random enc and sealed key


def test_the_independent_decryptor_opens_the_worked_example() -> None:
    """The page's decryptor opens the example download to the example plaintext and its SHA-256."""
    body = EXAMPLE["grant"] + EXAMPLE["header"] + EXAMPLE["sealed segment 0"] + EXAMPLE["sealed segment 1"]
    asked = (EXAMPLE_TARGET.file_id, EXAMPLE_TARGET.release_version, EXAMPLE_TARGET.device_id)
    plaintext = open_download(EXAMPLE_DEVICE, body, asked, EXAMPLE_EXPIRES - 60)
    assert plaintext == EXAMPLE["plaintext"]
    assert hashlib.sha256(plaintext).digest() == EXAMPLE["plaintext sha256"]


_PQ, _CLASSIC = MLKEM768PrivateKey.generate(), X25519PrivateKey.generate()
HYBRID_DEVICE = MLKEM768X25519PrivateKey(_PQ, _CLASSIC)
HYBRID_PUBLIC = _PQ.public_key().public_bytes_raw() + _CLASSIC.public_key().public_bytes_raw()
X_DEVICE = X25519PrivateKey.generate()


@settings(max_examples=40, deadline=None)
@given(
    st.binary(max_size=2000),
    st.sampled_from([64, 100, 4096, 65536]),
    st.tuples(identifiers(), identifiers(), identifiers()),
    st.booleans(),
)
def test_the_independent_decryptor_opens_what_the_product_makes(
    plaintext: bytes, segment_size: int, ids: tuple[str, str, str], hybrid: bool
) -> None:
    """Any file, segment size, identifiers and suite: the page's decryptor opens the product's download."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    key = AESGCM.generate_key(bit_length=256)
    device: DeviceKey = HYBRID_DEVICE if hybrid else X_DEVICE
    public = HYBRID_PUBLIC if hybrid else X_DEVICE.public_key().public_bytes_raw()
    grant = seal_grant(key, public, GrantTarget(*ids), now + timedelta(minutes=5))
    body = grant + b"".join(seal(key, [plaintext], segment_size=segment_size))
    assert open_download(device, body, ids, int(now.timestamp())) == plaintext
