"""The seal on ``state.json``: an HMAC-SHA256 over its content, under a random key kept in the OS keyring
next to the refresh token (created at first use). A state whose seal does not verify was written by
someone else: what it says about the license (lease, times seen, learned keys, checkpoint) is discarded.

Without a secure keyring the state is written unsealed, and an unsealed state's license part is never
believed; nothing here raises ``KeyringUnavailable`` (logging in does, as before)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

from keyledger_client.credentials import SecretStore
from keyledger_client.errors import KeyringUnavailable

log = logging.getLogger("keyledger_client.state")

STATE_MAC_KEY = "state-mac-key"  # the keyring entry's name
DOMAIN = b"keyledger-client state/1\n"


def canonical(content: dict[str, Any]) -> bytes:
    """The content as the seal covers it: sorted keys, no spaces, ASCII (the file's layout is free)."""
    return DOMAIN + json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


class StateSeal:
    def __init__(self, secrets_store: SecretStore) -> None:
        self.secrets = secrets_store
        self._key: bytes | None = None
        self._warned = False

    def seal(self, content: dict[str, Any]) -> str | None:
        """The MAC of ``content`` (hex), creating the key the first time; None without a keyring."""
        key = self._load(create=True)
        return None if key is None else hmac.new(key, canonical(content), hashlib.sha256).hexdigest()

    def verify(self, content: dict[str, Any], mac: str) -> bool:
        """Whether ``mac`` seals ``content`` (constant time); False without a key to check it with."""
        key = self._load(create=False)
        if key is None:
            return False
        expected = hmac.new(key, canonical(content), hashlib.sha256).hexdigest()
        return mac.isascii() and hmac.compare_digest(expected, mac)

    def _load(self, *, create: bool) -> bytes | None:
        if self._key is not None:
            return self._key
        try:
            key = decoded(self.secrets.get(STATE_MAC_KEY))
            if key is None and create:
                key = secrets.token_bytes(32)
                self.secrets.put(STATE_MAC_KEY, base64.b64encode(key).decode())
        except KeyringUnavailable:
            if not self._warned:
                log.warning("no keyring: the local state is not sealed, and a saved lease is not believed")
                self._warned = True
            return None
        self._key = key
        return key


def decoded(stored: str | None) -> bytes | None:
    """The 32-byte key kept in the keyring, or None for anything else."""
    try:
        key = base64.b64decode(stored or "", validate=True)
    except ValueError:
        return None
    return key if len(key) == 32 else None
