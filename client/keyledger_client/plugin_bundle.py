"""Plugin bundles: a vendor's manifest and Lua source in one file, signed with the vendor's Ed25519 key.
The application pins the vendor's public key at build time; a bundle is opened only when its signature
verifies with a pinned key, and nothing of it runs before that. The bundle is JSON::

    {"format": "keyledger-plugin/1", "manifest": B64, "source": B64, "key_id": HEX16, "signature": B64}

``signature`` is Ed25519 over ``b"keyledger-plugin/1\\n" || u64be(len(m)) || m || u64be(len(s)) || s``
with ``m`` and ``s`` the exact manifest and source bytes (no re-encoding, so nothing to canonicalise);
``key_id`` names the key (the first 8 bytes of SHA-256 of the raw public key, in hex)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from keyledger_client.errors import PluginMalformed, PluginSignatureRejected
from keyledger_client.plugin_manifest import Manifest, check_source, parse_manifest

FORMAT = "keyledger-plugin/1"
DOMAIN = FORMAT.encode() + b"\n"
SUFFIX = ".klplugin"
MAX_BUNDLE_BYTES = 1024 * 1024
FIELDS = frozenset({"format", "manifest", "source", "key_id", "signature"})


@dataclass(frozen=True)
class Plugin:
    """A bundle whose signature verified with a pinned key, and whose manifest and source follow the rules."""

    manifest: Manifest
    source: bytes
    key_id: str

    @property
    def name(self) -> str:
        return self.manifest.name


def signed_message(manifest: bytes, source: bytes) -> bytes:
    return DOMAIN + len(manifest).to_bytes(8, "big") + manifest + len(source).to_bytes(8, "big") + source


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public(key)).digest()[:8].hex()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A pinned vendor key: the raw 32-byte Ed25519 public key in hex (``plugins keygen`` prints it)."""
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.strip()))
    except ValueError:
        raise ValueError(f"not an Ed25519 public key in hex: {text!r:.80}") from None


def sign_bundle(manifest: bytes, source: bytes, key: Ed25519PrivateKey) -> bytes:
    """The bundle of ``manifest`` and ``source`` signed with ``key``; refuses what no client would run."""
    parse_manifest(manifest)
    check_source(source)
    envelope = {
        "format": FORMAT,
        "manifest": base64.b64encode(manifest).decode(),
        "source": base64.b64encode(source).decode(),
        "key_id": key_id(key.public_key()),
        "signature": base64.b64encode(key.sign(signed_message(manifest, source))).decode(),
    }
    return json.dumps(envelope, indent=1).encode() + b"\n"


def open_bundle(data: bytes, keys: Sequence[Ed25519PublicKey]) -> Plugin:
    """The verified plugin in ``data``: the signature is checked before the manifest is even parsed."""
    envelope = _envelope(data)
    manifest, source = _decoded(envelope, "manifest"), _decoded(envelope, "source")
    signature = _decoded(envelope, "signature")
    if not signature:
        raise PluginSignatureRejected("the plugin is not signed")
    signer = {key_id(key): key for key in keys}.get(str(envelope["key_id"]))
    if signer is None:
        raise PluginSignatureRejected("the plugin is signed by a key this application does not trust")
    try:
        signer.verify(signature, signed_message(manifest, source))
    except InvalidSignature:
        raise PluginSignatureRejected("the plugin's signature does not match its content") from None
    check_source(source)
    return Plugin(parse_manifest(manifest), source, key_id(signer))


def _envelope(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_BUNDLE_BYTES:
        raise PluginMalformed(f"a plugin bundle is at most {MAX_BUNDLE_BYTES} bytes")
    try:
        envelope = json.loads(data)
    except ValueError:
        raise PluginMalformed("not a plugin bundle (not JSON)") from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise PluginMalformed(f"not a plugin bundle (format is not {FORMAT})")
    if set(envelope) != FIELDS or not all(isinstance(value, str) for value in envelope.values()):
        if set(envelope) == FIELDS - {"signature", "key_id"}:
            raise PluginSignatureRejected("the plugin is not signed")
        raise PluginMalformed(f"a plugin bundle has exactly the string fields {', '.join(sorted(FIELDS))}")
    return envelope


def _decoded(envelope: dict[str, Any], field: str) -> bytes:
    try:
        return base64.b64decode(envelope[field], validate=True)
    except (binascii.Error, ValueError):
        raise PluginMalformed(f"the bundle's {field} is not base64") from None
