"""What can fail when checking what a Keyledger server sent::

VerificationError
├── ProofError            an inclusion or consistency proof does not verify
├── BadSignature          no valid signature by the pinned key
├── MalformedCheckpoint   not a signed note / checkpoint, or a malformed verifier key
└── MalformedLeaf         leaf bytes that do not decode
"""

from __future__ import annotations


class VerificationError(Exception):
    """Something the server sent does not verify."""


class ProofError(VerificationError):
    """An inclusion or consistency proof does not lead to the expected root."""


class BadSignature(VerificationError):
    """The note carries no valid signature by the pinned key."""


class MalformedCheckpoint(VerificationError):
    """Not a well-formed signed note, checkpoint body or verifier key."""


class MalformedLeaf(VerificationError):
    """Leaf bytes that are not a valid encoding."""
