"""Binary transparency on the client: the file it downloaded is the one the ledger committed to. The
release's publication event (a public record) records each file's size and SHA-256; the client fetches
that event's leaf with an RFC 6962 inclusion proof to the latest checkpoint its witness verified (and
found consistent with every checkpoint it saw before), and checks the leaf names this release and file
with the SHA-256 it will compare the plaintext with."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from uuid import UUID

from keyledger_verifier import MalformedLeaf, VerificationError, decode_leaf, leaf_hash, verify_inclusion

from keyledger_client.errors import ReleaseRejected, UnexpectedResponse
from keyledger_client.release_catalog import Release, ReleaseFile
from keyledger_client.session import Session
from keyledger_client.witness import Witness, decode_hash

PUBLISHED_TOPIC = "domain.release:Release.Published"
INCLUSION_PATH = "/ledger/proofs/inclusion"


def prove_publication(session: Session, witness: Witness, release: Release, file: ReleaseFile) -> int | None:
    """The size of the signed checkpoint that proves ``file`` was published as listed; None when the
    ledger has not sealed the publication yet (nothing to prove against). ``ReleaseRejected`` if the
    ledger says otherwise."""
    detail = session.tokens.authorized("GET", f"/client/releases/{release.id}")
    index = (detail.get("published") or {}).get("leaf_index")
    if not isinstance(index, int):
        return None
    checkpoint = witness.observe()
    if checkpoint.size <= index:
        return None
    answer = session.tokens.authorized(
        "GET", INCLUSION_PATH, params={"index": index, "tree_size": checkpoint.size}
    )
    leaf_bytes, proof = _leaf_and_proof(answer)
    try:
        verify_inclusion(index, checkpoint.size, leaf_hash(leaf_bytes), proof, checkpoint.root)
        leaf = decode_leaf(leaf_bytes)
    except (VerificationError, MalformedLeaf) as error:
        raise ReleaseRejected(f"the ledger does not prove this release's publication: {error}") from None
    if leaf.topic != PUBLISHED_TOPIC or UUID(leaf.originator_id) != UUID(release.id):
        raise ReleaseRejected("the ledger entry offered as this release's publication is another event")
    _check_recorded(json.loads(leaf.state), file)
    return checkpoint.size


def _leaf_and_proof(answer: dict[str, Any]) -> tuple[bytes, list[bytes]]:
    if answer.get("leaf") is None:
        raise ReleaseRejected("the ledger withholds this release's publication event from this account")
    try:
        leaf = base64.b64decode(str(answer["leaf"]), validate=True)
        return leaf, [decode_hash(str(h)) for h in answer["proof"]]
    except (KeyError, TypeError, binascii.Error):
        raise UnexpectedResponse("a malformed inclusion proof") from None


def _check_recorded(state: dict[str, Any], file: ReleaseFile) -> None:
    recorded = [f for f in state.get("files", []) if isinstance(f, dict) and f.get("file_id") == file.id]
    if not recorded or (recorded[0].get("sha256"), recorded[0].get("size")) != (file.sha256, file.size):
        raise ReleaseRejected(
            f"the ledger records another SHA-256 or size for {file.name} than the server lists: refused"
        )
