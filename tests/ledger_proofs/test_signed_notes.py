"""C2SP signed notes, ``tlog-checkpoint`` bodies, verifier and signer keys, and the leaf encoding."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from keyledger_verifier import (
    BadSignature,
    Checkpoint,
    Leaf,
    MalformedCheckpoint,
    MalformedLeaf,
    decode_leaf,
    encode_leaf,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
)

from adapters.notary import Notary, SignerKeyError, parse_signer_key, sign_note, signer_key_text

# The signed-note example of golang.org/x/mod/sumdb/note, where the C2SP signed-note format comes from.
PETER_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
PETER_NOTE = (
    PETER_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# The body of the C2SP tlog-checkpoint specification's example.
SPEC_CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_the_signed_note_example_verifies() -> None:
    """The reference note opens with the reference verifier key, and gives back its text."""
    assert open_note(PETER_NOTE, parse_verifier_key(PETER_VERIFIER)) == PETER_TEXT


def test_our_signer_reproduces_the_example_byte_for_byte() -> None:
    """Ed25519 is deterministic: signing the example text with the example signer key gives the note."""
    name, private = parse_signer_key(PETER_SIGNER)
    assert sign_note(PETER_TEXT, name, private) == PETER_NOTE
    assert signer_key_text(name, private) == PETER_SIGNER


@pytest.mark.parametrize(
    "note",
    [
        PETER_NOTE.replace("cryptography", "cryptographY"),
        PETER_NOTE.replace("x08go", "x08gp"),
        PETER_NOTE.replace("\u2014 PeterNeumann", "\u2014 SomeoneElse"),
    ],
)
def test_altered_or_foreign_notes_are_rejected(note: str) -> None:
    """A changed text, a damaged signature or only a stranger's signature: BadSignature."""
    with pytest.raises(BadSignature):
        open_note(note, parse_verifier_key(PETER_VERIFIER))


@pytest.mark.parametrize(
    "note", [PETER_TEXT, PETER_NOTE.rstrip("\n"), PETER_NOTE.replace("\u2014", "-"), PETER_NOTE + "\x07"]
)
def test_malformed_notes_are_rejected(note: str) -> None:
    """No signature block, no final newline, a bad signature line or a control character: malformed."""
    with pytest.raises(MalformedCheckpoint):
        open_note(note, parse_verifier_key(PETER_VERIFIER))


@pytest.mark.parametrize(
    "key",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+AhpjZQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq",
    ],
)
def test_malformed_verifier_keys_are_rejected(key: str) -> None:
    """A wrong key id, type byte, name, missing or short key material: MalformedCheckpoint."""
    with pytest.raises(MalformedCheckpoint):
        parse_verifier_key(key)


def test_the_spec_checkpoint_body_parses_and_round_trips() -> None:
    """The tlog-checkpoint example parses into origin, size and root, and renders back identically."""
    checkpoint = parse_checkpoint(SPEC_CHECKPOINT)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.body() == SPEC_CHECKPOINT


@pytest.mark.parametrize(
    "body",
    ["origin\n012\n" + "A" * 43 + "=\n", "origin\n12\nshort\n", "origin\n12\n", "\n12\n" + "A" * 43 + "=\n"],
)
def test_malformed_checkpoint_bodies_are_rejected(body: str) -> None:
    """Leading zeros, a root that is not 32 bytes, missing lines or an empty origin: malformed."""
    with pytest.raises(MalformedCheckpoint):
        parse_checkpoint(body)


def test_notary_checkpoints_open_with_its_verifier_key_only() -> None:
    """A checkpoint the notary signs opens with its verifier key, not another notary's or origin's."""
    notary = Notary("log.example/a", Ed25519PrivateKey.generate())
    checkpoint = Checkpoint("log.example/a", 3, bytes(range(32)))
    note = notary.sign(checkpoint)
    assert open_checkpoint(note, notary.verifier_key_text()) == checkpoint
    other = Notary("log.example/a", Ed25519PrivateKey.generate())
    with pytest.raises(BadSignature):
        open_checkpoint(note, other.verifier_key_text())
    renamed = note.replace("log.example/a\n", "log.example/b\n", 1)
    with pytest.raises(BadSignature):
        open_checkpoint(renamed, notary.verifier_key_text())


def test_signer_keys_must_match_their_id() -> None:
    """A signer key whose id does not match its name and key is refused."""
    with pytest.raises(SignerKeyError):
        parse_signer_key(PETER_SIGNER.replace("c74f20a3", "c74f20a4"))


leaves = st.builds(
    Leaf,
    st.integers(0, 2**64 - 1),
    st.uuids().map(str),
    st.integers(0, 2**64 - 1),
    st.text(max_size=80),
    st.binary(max_size=300),
)


@given(leaves)
def test_leaves_round_trip(leaf: Leaf) -> None:
    """Decoding encoded leaf bytes gives the same fields back, exact state bytes included."""
    assert decode_leaf(encode_leaf(leaf)) == leaf


@given(leaves, st.data())
def test_truncated_or_extended_leaves_are_rejected(leaf: Leaf, data: st.DataObject) -> None:
    """Any proper prefix, or any bytes appended, is not a leaf."""
    encoded = encode_leaf(leaf)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    for broken in (encoded[:cut], encoded + data.draw(st.binary(min_size=1, max_size=4))):
        with pytest.raises(MalformedLeaf):
            decode_leaf(broken)
