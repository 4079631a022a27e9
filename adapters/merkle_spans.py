"""RFC 6962 proofs as plans over stored nodes. The tree stores every complete subtree as a node
``(level, index)`` covering leaves ``[index * 2**level, (index + 1) * 2**level)``; a proof is a list of
leaf ranges (RFC 6962 §2.1.1 PATH and §2.1.2 PROOF), and each range's hash folds the O(log n) complete
subtrees that cover it. Pure functions: the store only looks nodes up."""

from __future__ import annotations

from collections.abc import Mapping

from keyledger_verifier import EMPTY_ROOT, node_hash

Node = tuple[int, int]
Span = tuple[int, int]


def split_point(size: int) -> int:
    """The largest power of two strictly below ``size`` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def subtrees(start: int, end: int) -> list[Node]:
    """The complete subtrees covering leaves [start, end), left to right (largest aligned first)."""
    found: list[Node] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        found.append((level, start >> level))
        start += 1 << level
    return found


def inclusion_spans(index: int, size: int, offset: int = 0) -> list[Span]:
    """RFC 6962 PATH(index, D[size]) as the leaf ranges whose hashes make the proof, leaf side first."""
    if size <= 1:
        return []
    k = split_point(size)
    if index < k:
        return [*inclusion_spans(index, k, offset), (offset + k, offset + size)]
    return [*inclusion_spans(index - k, size - k, offset + k), (offset, offset + k)]


def consistency_spans(first: int, second: int, offset: int = 0, whole: bool = True) -> list[Span]:
    """RFC 6962 SUBPROOF(first, D[second], whole) as leaf ranges (empty for first = 0 or second)."""
    if first in (0, second):
        return [] if whole else [(offset, offset + first)]
    k = split_point(second)
    if first <= k:
        return [*consistency_spans(first, k, offset, whole), (offset + k, offset + second)]
    return [*consistency_spans(first - k, second - k, offset + k, False), (offset, offset + k)]


def nodes_for(spans: list[Span]) -> set[Node]:
    """Every stored node the spans' hashes need."""
    return {node for start, end in spans for node in subtrees(start, end)}


def span_hash(span: Span, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH of the leaves in ``span``: its complete subtrees folded from the right."""
    parts = [nodes[node] for node in subtrees(*span)]
    if not parts:
        return EMPTY_ROOT
    result = parts[-1]
    for left in reversed(parts[:-1]):
        result = node_hash(left, result)
    return result


def resolve(spans: list[Span], nodes: Mapping[Node, bytes]) -> list[bytes]:
    return [span_hash(span, nodes) for span in spans]
