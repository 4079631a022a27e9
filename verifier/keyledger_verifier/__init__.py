"""Checking a Keyledger ledger without trusting its server: RFC 6962 Merkle proofs, C2SP signed notes and
checkpoints, the leaf encoding and the export format. The server, the desktop client and the auditor's
``keyledger-audit`` all use this package; it imports nothing of theirs."""

from keyledger_verifier.errors import (
    BadSignature,
    MalformedCheckpoint,
    MalformedLeaf,
    ProofError,
    VerificationError,
)
from keyledger_verifier.leaves import Leaf, decode_leaf, encode_leaf
from keyledger_verifier.notes import (
    Checkpoint,
    VerifierKey,
    key_id,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    verifier_key_text,
)
from keyledger_verifier.tree import (
    EMPTY_ROOT,
    CompactRange,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "BadSignature",
    "Checkpoint",
    "CompactRange",
    "Leaf",
    "MalformedCheckpoint",
    "MalformedLeaf",
    "ProofError",
    "VerificationError",
    "VerifierKey",
    "decode_leaf",
    "encode_leaf",
    "key_id",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_verifier_key",
    "verifier_key_text",
    "verify_consistency",
    "verify_inclusion",
]
