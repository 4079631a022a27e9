"""An independent decryptor of Keyledger downloads, written from docs/file-format.md alone (cryptography's
primitives, none of the product's decryption code): the tests open real downloads with it."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, MLKEM768X25519PrivateKey, Suite
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DeviceKey = X25519PrivateKey | MLKEM768X25519PrivateKey


def field(value: bytes) -> bytes:
    return len(value).to_bytes(2, "big") + value


def read_fields(data: bytes, count: int) -> tuple[list[bytes], int]:
    fields, at = [], 0
    for _ in range(count):
        size = int.from_bytes(data[at : at + 2], "big")
        fields.append(data[at + 2 : at + 2 + size])
        at += 2 + size
    return fields, at


def open_download(key: DeviceKey, body: bytes, asked: tuple[str, str, str], now: int) -> bytes:
    """§4.3 then §2.4 of the page, on a whole download body."""
    assert body[:5] == b"KLGR\x01"
    grant_length = int.from_bytes(body[5:9], "big")
    grant, sealed = body[:grant_length], body[grant_length:]
    kem = {0x0020: KEM.X25519, 0x647A: KEM.MLKEM768_X25519}[int.from_bytes(grant[9:11], "big")]
    assert grant[11:15] == bytes.fromhex("00010002")
    expires = int.from_bytes(grant[15:23], "big")
    fields, used = read_fields(grant[23:], 4)
    assert 23 + used == grant_length
    assert tuple(f.decode() for f in fields[:3]) == asked
    assert now < expires
    info = (
        field(b"keyledger/grant/v1")
        + b"".join(field(f) for f in fields[:3])
        + field(expires.to_bytes(8, "big"))
    )
    data_key = Suite(kem, KDF.HKDF_SHA256, AEAD.AES_256_GCM).decrypt(fields[3], key, info=info)
    return open_sealed(data_key, sealed)


def open_sealed(data_key: bytes, sealed: bytes) -> bytes:
    header, body = sealed[:41], sealed[41:]
    assert header[:5] == b"KLST\x01"
    size = int.from_bytes(header[5:9], "big") + 16
    file_key = HKDF(hashes.SHA256(), 32, header[9:41], b"keyledger/file/v1" + header).derive(data_key)
    count = max(1, -(-len(body) // size))
    plaintext = b""
    for i in range(count):
        nonce = bytes(7) + i.to_bytes(4, "big") + (b"\x01" if i == count - 1 else b"\x00")
        plaintext += AESGCM(file_key).decrypt(nonce, body[i * size : (i + 1) * size], None)
    return plaintext
