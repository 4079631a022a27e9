"""The keys a client trusts to sign its leases.

The application pins the server's lease-signing public key(s) at build time (``lease_keys=``); without
pinned keys the first signed key set the server shows is trusted on first use. New keys are learned only
from a *signed key set* (``GET /.well-known/keyledger-keys.jws``): a JWS in the general JSON
serialization (RFC 7515 §7.2.1) whose payload lists the keys, accepted only when a key already trusted
signed it. The sets accepted are kept (in the MAC-protected state) as a chain from the pinned keys and
verified again at every start, so a key written into the state by hand is never trusted."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keyledger_client.errors import KeySetRejected

log = logging.getLogger("keyledger_client.lease_keys")

KEY_SET_PATH = "/.well-known/keyledger-keys.jws"
KEY_SET_TYPE = "keyledger-keys"
HEADER_TYPE = "keyledger-keys+jws"
MAX_KEYS = 16
MAX_CHAIN = 8
IAT_TOLERANCE_S = 300  # API processes sign with their own clocks
B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_decode(text: Any) -> bytes:
    """Strict unpadded base64url; ``ValueError`` for anything else."""
    if not isinstance(text, str) or not B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class LeaseKey:
    kid: str
    public: Ed25519PublicKey

    @classmethod
    def from_raw(cls, raw: bytes) -> LeaseKey:
        """The key and the id the server gives it (the first 16 characters of base64url SHA-256)."""
        kid = base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).rstrip(b"=").decode()[:16]
        return cls(kid, Ed25519PublicKey.from_public_bytes(raw))


def key_from_jwk(jwk: Any) -> LeaseKey:
    """An Ed25519 JWK (``kty`` OKP, ``crv`` Ed25519, ``x``); its ``kid``, if given, must be the key's own."""
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 JWK")
    raw = b64url_decode(jwk.get("x"))
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    key = LeaseKey.from_raw(raw)
    if jwk.get("kid") not in (None, key.kid):
        raise ValueError("the JWK's kid does not name its key")
    return key


def parse_lease_key(value: str | Mapping[str, Any]) -> LeaseKey:
    """A key the application pins: an Ed25519 JWK (a mapping or its JSON text), or the raw public key in
    base64url (43 characters: the JWK's ``x``) or hex (64 characters)."""
    if isinstance(value, Mapping):
        return key_from_jwk(value)
    text = value.strip()
    if text.startswith("{"):
        return key_from_jwk(json.loads(text))
    raw = bytes.fromhex(text) if len(text) == 64 else b64url_decode(text)
    if len(raw) != 32:
        raise ValueError(f"not an Ed25519 public key: {value!r:.80}")
    return LeaseKey.from_raw(raw)


@dataclass(frozen=True)
class KeySet:
    """A signed key set as received (``document``, what the state keeps) and what it says."""

    document: dict[str, Any]
    keys: tuple[LeaseKey, ...]
    issued_at: int

    def signed_by(self, trusted: Mapping[str, LeaseKey]) -> bool:
        """Whether a key of ``trusted`` signed this set (each signature covers ``protected.payload``)."""
        payload = self.document["payload"]
        for entry in self.document["signatures"]:
            header, signature = entry["protected"], b64url_decode(entry["signature"])
            key = trusted.get(json.loads(b64url_decode(header))["kid"])
            try:
                if key is not None:
                    key.public.verify(signature, f"{header}.{payload}".encode())
                    return True
            except InvalidSignature:
                continue
        return False

    def by_kid(self) -> dict[str, LeaseKey]:
        return {key.kid: key for key in self.keys}


def open_key_set(document: Any) -> KeySet:
    """The key set ``document`` states (signatures not checked yet); ``KeySetRejected`` for anything that
    is not one."""
    try:
        payload = json.loads(b64url_decode(document["payload"]))
        for entry in document["signatures"]:
            header = json.loads(b64url_decode(entry["protected"]))
            if header["alg"] != "EdDSA" or header["typ"] != HEADER_TYPE or not isinstance(header["kid"], str):
                raise ValueError("not an EdDSA key-set signature")
            b64url_decode(entry["signature"])
        keys = tuple(key_from_jwk(jwk) for jwk in payload["keys"])
        issued_at = payload["iat"]
        if payload["typ"] != KEY_SET_TYPE or not 1 <= len(keys) <= MAX_KEYS or not document["signatures"]:
            raise ValueError("not a key set")
        if not isinstance(issued_at, int) or isinstance(issued_at, bool):
            raise ValueError("iat is not a number")
    except (KeyError, TypeError, ValueError, RecursionError):
        raise KeySetRejected("not a signed key set") from None
    return KeySet(dict(document), keys, issued_at)


class KeyTrust:
    """The pinned keys (the roots; without them, the first key set accepted) and the chain of key sets
    learned since, each signed by a key trusted before it. Trusted now: the roots and the latest set's
    keys."""

    def __init__(self, pinned: Sequence[LeaseKey]) -> None:
        self.pinned = {key.kid: key for key in pinned}
        self.chain: list[KeySet] = []

    def roots(self) -> dict[str, LeaseKey]:
        if self.pinned or not self.chain:
            return dict(self.pinned)
        return self.chain[0].by_kid()  # trusted on first use

    def trusted(self) -> dict[str, LeaseKey]:
        return {**self.roots(), **(self.chain[-1].by_kid() if self.chain else {})}

    def accept(self, document: Any, *, announce: bool = True) -> KeySet:
        """Learns a key set a trusted key signed (the first set, self-signed, without pinned keys)."""
        found = open_key_set(document)
        first_use = not self.pinned and not self.chain
        if not found.signed_by(found.by_kid() if first_use else self.trusted()):
            raise KeySetRejected("the key set is not signed by a key this client trusts")
        if self.chain and found.issued_at < self.chain[-1].issued_at - IAT_TOLERANCE_S:
            raise KeySetRejected("the key set is older than the one this client has")
        if first_use and announce:
            log.warning("trusting the server's lease keys on first use: pin them with lease_keys=")
        chain = self._compact([*self.chain, found])
        if len(chain) > MAX_CHAIN:
            raise KeySetRejected("too many key rotations since the pinned keys: update the application")
        self.chain = chain
        return found

    def restore(self, documents: Sequence[Any]) -> None:
        """The chain kept in the state, verified again link by link; the first link that does not verify
        ends it (and what follows is dropped)."""
        self.chain = []
        for document in documents:
            try:
                self.accept(document, announce=False)
            except KeySetRejected as error:
                log.warning("dropping kept lease keys: %s", error)
                return

    def documents(self) -> list[dict[str, Any]]:
        return [link.document for link in self.chain]

    def _compact(self, links: list[KeySet]) -> list[KeySet]:
        """``links`` without every set that the chain does not need to verify from the roots (the anchor
        of a trust on first use stays): a daily refresh never makes it longer."""
        index = 0 if self.pinned else 1
        while index < len(links) - 1:
            shorter = links[:index] + links[index + 1 :]
            if self._verifies(shorter):
                links = shorter
            else:
                index += 1
        return links

    def _verifies(self, links: list[KeySet]) -> bool:
        roots = dict(self.pinned) if self.pinned else links[0].by_kid()
        trusted = roots
        for link in links[0 if self.pinned else 1 :]:
            if not link.signed_by(trusted):
                return False
            trusted = {**roots, **link.by_kid()}
        return True
