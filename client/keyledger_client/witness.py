"""Every client is a witness of the ledger (DESIGN §8): it keeps the last checkpoint it verified and
accepts a new one only when the server proves the new tree extends the old one (RFC 6962 consistency
proof). A bad signature, another origin, a shrunk log, a fork at the same size or a failing proof raise
``WitnessAlarm`` and the old checkpoint is kept.

The cryptography is ``keyledger_verifier`` (signed notes, consistency proofs); this module only
fetches, compares and remembers. The verifier key is pinned by the application when it can be, else
trusted on first use and then kept."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from keyledger_verifier import (
    Checkpoint,
    VerificationError,
    open_checkpoint,
    parse_verifier_key,
    verify_consistency,
)

from keyledger_client.errors import UnexpectedResponse, WitnessAlarm
from keyledger_client.session import Session

log = logging.getLogger("keyledger_client.witness")

CHECKPOINT_PATH = "/ledger/checkpoint"
CONSISTENCY_PATH = "/ledger/proofs/consistency"
PUBLIC_KEY_PATH = "/ledger/public-key"
NOTE_FIELDS = ("note", "signed_note")
PROOF_FIELDS = ("proof", "hashes")
KEY_FIELDS = ("verifier_key", "key")


def decode_hash(text: str) -> bytes:
    """A proof hash as the server sends it: 64 hex characters or base64."""
    try:
        if len(text) == 64:
            return bytes.fromhex(text)
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise UnexpectedResponse("a proof hash is neither hex nor base64") from None


def first_field(body: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((body[name] for name in names if body.get(name) is not None), None)


class Witness:
    def __init__(self, session: Session, *, pinned_key: str | None = None) -> None:
        self.session, self.pinned_key = session, pinned_key

    def observe(self, heartbeat_checkpoint: dict[str, Any] | None = None) -> Checkpoint:
        """Checks the checkpoint a heartbeat carried (or the server's latest) against the last one kept."""
        note = first_field(heartbeat_checkpoint or {}, NOTE_FIELDS) or self._fetch_note()
        try:
            new = open_checkpoint(str(note), parse_verifier_key(self._key()))
        except VerificationError as error:
            raise WitnessAlarm(f"the ledger checkpoint does not verify: {error}") from error
        self._check(new)
        with self.session.lock:
            self.session.state.checkpoint = {"origin": new.origin, "size": new.size, "root": new.root.hex()}
            self.session.save()
        return new

    def last(self) -> tuple[str, int, bytes] | None:
        kept = self.session.state.checkpoint
        if not kept:
            return None
        return str(kept["origin"]), int(kept["size"]), bytes.fromhex(str(kept["root"]))

    def _check(self, new: Checkpoint) -> None:
        last = self.last()
        if last is None:
            return
        origin, size, root = last
        if new.origin != origin:
            raise WitnessAlarm(f"the ledger origin changed from {origin!r} to {new.origin!r}")
        if new.size < size:
            raise WitnessAlarm(f"the ledger shrank from {size} to {new.size} entries")
        if new.size == size:
            if new.root != root:
                raise WitnessAlarm(f"two different ledgers of size {size} (a fork)")
            return
        proof = self._fetch_proof(size, new.size)
        try:
            verify_consistency(size, new.size, root, new.root, proof)
        except VerificationError as error:
            raise WitnessAlarm(f"ledger of size {new.size} does not extend size {size}: {error}") from error

    def _key(self) -> str:
        if self.pinned_key is not None:
            return self.pinned_key
        state = self.session.state
        if state.ledger_key is None:
            answer = self.session.api.request("GET", PUBLIC_KEY_PATH)
            state.ledger_key = str(first_field(answer, KEY_FIELDS) or "")
            log.info("trusting the ledger key on first use: %s", state.ledger_key)
        return state.ledger_key

    def _fetch_note(self) -> str:
        answer = self.session.tokens.authorized("GET", CHECKPOINT_PATH)
        note = first_field(answer, NOTE_FIELDS)
        if not isinstance(note, str):
            raise UnexpectedResponse("no signed note in the checkpoint answer")
        return note

    def _fetch_proof(self, first: int, second: int) -> list[bytes]:
        params = {"first": first, "second": second}
        answer = self.session.tokens.authorized("GET", CONSISTENCY_PATH, params=params)
        hashes = first_field(answer, PROOF_FIELDS)
        if not isinstance(hashes, list):
            raise UnexpectedResponse("no proof in the consistency answer")
        return [decode_hash(str(item)) for item in hashes]
