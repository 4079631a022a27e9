"""RFC 6962 hashing and proofs: the transparency-dev/merkle reference vectors for sizes 0-8
(``proof/verify_test.go``: leaves, roots, inclusion and consistency proofs, and their corruptions), then
every index and size up to 64, proofs planned over stored nodes and checked by the client's verifier."""

from __future__ import annotations

import hashlib

import pytest
from keyledger_verifier import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

from adapters import merkle_spans as merkle

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, proof): the Go vectors use 1-based leaf numbers; these are 0-based indexes.
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def h(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def stored_tree(leaf_hashes: list[bytes]) -> dict[merkle.Node, bytes]:
    """Every complete subtree's node, as the sealer stores them."""
    tree, nodes = CompactRange(), {}
    for hashed in leaf_hashes:
        nodes.update({(level, index): value for level, index, value in tree.append(hashed)})
    return nodes


def reference_root(leaf_hashes: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 §2.1."""
    if not leaf_hashes:
        return EMPTY_ROOT
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = merkle.split_point(len(leaf_hashes))
    return node_hash(reference_root(leaf_hashes[:k]), reference_root(leaf_hashes[k:]))


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    """The root of the empty tree is SHA-256 of the empty string."""
    assert CompactRange().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference_vectors(size: int) -> None:
    """Appending the reference leaves gives the published root for every size 1-8."""
    tree = CompactRange()
    for leaf in LEAVES[:size]:
        tree.append(leaf_hash(leaf))
    assert tree.root().hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_vectors_are_generated_and_verified(index: int, size: int, proof: list[str]) -> None:
    """Planned over stored nodes, the inclusion proof equals the vector, and the verifier accepts it."""
    nodes = stored_tree([leaf_hash(leaf) for leaf in LEAVES])
    assert merkle.resolve(merkle.inclusion_spans(index, size), nodes) == h(proof)
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), h(proof), bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_consistency_vectors_are_generated_and_verified(first: int, second: int, proof: list[str]) -> None:
    """Planned over stored nodes, the consistency proof equals the vector, and the verifier accepts it."""
    nodes = stored_tree([leaf_hash(leaf) for leaf in LEAVES])
    assert merkle.resolve(merkle.consistency_spans(first, second), nodes) == h(proof)
    roots = h(ROOTS)
    verify_consistency(first, second, roots[first - 1], roots[second - 1], h(proof))


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[:4])
def test_corrupted_inclusion_proofs_are_rejected(index: int, size: int, proof: list[str]) -> None:
    """Wrong index, size, leaf or root, and garbage added, removed or flipped: never verified."""
    leaf, root, good = leaf_hash(LEAVES[index]), bytes.fromhex(ROOTS[size - 1]), h(proof)
    flipped = [[*good[:i], bytes([good[i][0] ^ 8]) + good[i][1:], *good[i + 1 :]] for i in range(len(good))]
    probes = [
        (index + 1, size, leaf, good, root),
        (index ^ 2, size, leaf, good, root),
        (index, size * 2, leaf, good, root),
        (index, size // 2, leaf, good, root),
        (index, size, SOME_HASH, good, root),
        (index, size, leaf, good, EMPTY_ROOT),
        (index, size, leaf, [*good, root], root),
        (index, size, leaf, [root, *good], root),
        (index, size, leaf, good[:-1], root),
        *((index, size, leaf, proof_, root) for proof_ in flipped),
    ]
    for probe in probes:
        with pytest.raises(ProofError):
            verify_inclusion(*probe)


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_are_rejected(first: int, second: int, proof: list[str]) -> None:
    """Wrong sizes or roots, swapped roots, empty, extended, truncated or flipped proofs: never verified."""
    roots, good = h(ROOTS), h(proof)
    one, two = roots[first - 1], roots[second - 1]
    flipped = [[*good[:i], bytes([good[i][0] ^ 16]) + good[i][1:], *good[i + 1 :]] for i in range(len(good))]
    probes = [
        (first - 1, second, one, two, good),
        (first + 1, second, one, two, good),
        (first ^ 2, second, one, two, good),
        (first, second * 2, one, two, good),
        (first, second, SOME_HASH, two, good),
        (first, second, one, SOME_HASH, good),
        (first, second, two, one, good),
        (first, second, one, two, []),
        (first, second, one, two, [*good, one]),
        (first, second, one, two, [two, *good]),
        (first, second, one, two, [good[0], *good]),
        (first, second, one, two, good[:-1]),
        *((first, second, one, two, proof_) for proof_ in flipped),
    ]
    for probe in probes:
        with pytest.raises(ProofError):
            verify_consistency(*probe)


def test_trivial_consistency_rules() -> None:
    """From the empty tree anything is consistent with an empty proof; equal sizes need equal roots."""
    verify_consistency(0, 5, EMPTY_ROOT, SOME_HASH, [])
    verify_consistency(3, 3, SOME_HASH, SOME_HASH, [])
    for probe in (
        (3, 3, SOME_HASH, EMPTY_ROOT, []),
        (0, 3, EMPTY_ROOT, SOME_HASH, [SOME_HASH]),
        (4, 3, SOME_HASH, SOME_HASH, []),
    ):
        with pytest.raises(ProofError):
            verify_consistency(*probe)


def test_every_index_and_size_up_to_64() -> None:
    """For every size n ≤ 64: every leaf's inclusion proof and every m ≤ n consistency proof, planned
    over stored nodes, verifies against the RFC 6962 reference root, and fails against a neighbour's."""
    hashes = [leaf_hash(number.to_bytes(2, "big") * (1 + number % 5)) for number in range(64)]
    nodes = stored_tree(hashes)
    roots = [reference_root(hashes[:n]) for n in range(65)]
    for n in range(1, 65):
        for index in range(n):
            proof = merkle.resolve(merkle.inclusion_spans(index, n), nodes)
            verify_inclusion(index, n, hashes[index], proof, roots[n])
            if n > 1:
                with pytest.raises(ProofError):
                    verify_inclusion(index, n, hashes[(index + 1) % n], proof, roots[n])
        for m in range(n + 1):
            proof = merkle.resolve(merkle.consistency_spans(m, n), nodes)
            verify_consistency(m, n, roots[m], roots[n], proof)
            if 0 < m < n:
                with pytest.raises(ProofError):
                    verify_consistency(m, n, roots[m - 1], roots[n], proof)


def test_proofs_read_logarithmically_many_nodes() -> None:
    """A proof in a tree of a million leaves reads O(log² n) stored nodes at most, O(log n) typically."""
    size = 1_000_003
    spans = merkle.inclusion_spans(123_457, size) + merkle.consistency_spans(654_321, size)
    assert len(merkle.nodes_for(spans)) <= 20 * 20
    assert len(merkle.inclusion_spans(123_457, size)) == 20
