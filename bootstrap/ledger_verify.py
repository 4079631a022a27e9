"""``keyledger ledger verify``: the auditor's verification run server-side, over an export streamed from
the live store, against every stored checkpoint."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from keyledger_verifier import encode_leaf, leaf_hash
from keyledger_verifier.export import verify_export
from keyledger_verifier.export_format import ExportError, Mismatch

from adapters.merkle_store import TreeStore
from api.ledger_log import LedgerLog, ProofUnavailable
from bootstrap import keys
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger, build_tree


def lines_of(chunks: Iterator[str]) -> Iterator[bytes]:
    for chunk in chunks:
        for line in chunk.splitlines(keepends=True):
            yield line.encode("ascii")


def check_sealed_leaves(tree: TreeStore, size: int, batch: int = 1000) -> None:
    """Each sealed leaf, by its index, against the event stored now: names the first event that was
    deleted or changed after sealing."""
    for at in range(0, size, batch):
        end = min(at + batch, size)
        with tree.reading() as tx:
            events = dict(tree.sealed_leaves(tx, at, end))
            sealed = tree.sealed_hashes(tx, at, end)
        for index in range(at, end):
            notification_id, hashed = sealed[index]
            if index not in events:
                raise Mismatch(f"mismatch at leaf {index}: event {notification_id} was deleted after sealing")
            if leaf_hash(encode_leaf(events[index])) != hashed:
                raise Mismatch(f"mismatch at leaf {index}: event {notification_id} changed after sealing")


def ledger_verify(_: argparse.Namespace, settings: Settings) -> int:
    """Exit codes as ``keyledger-audit verify``: 0 verified, 3 malformed, 4 bad signature, 5 mismatch
    (an event changed after sealing, or the leaves do not hash to the signed root), 6 inconsistent with a
    stored checkpoint."""
    notary, digests = keys.notary(settings), keys.digests(settings)
    ledger = build_ledger(settings, digests, keys.argon2(settings, digests))
    tree = build_tree(ledger)
    try:
        log = LedgerLog(tree, notary.verifier_key(), ledger)
        with tree.reading() as tx:
            notes, unsealed = tree.checkpoint_notes(tx), tree.count_unsealed(tx)
        frame = log.frame(0, None)
        check_sealed_leaves(tree, frame.end)
        verified = verify_export(lines_of(log.export(frame)), log.key, notes)
    except ProofUnavailable:
        print(f"nothing is sealed yet ({unsealed} events waiting for the sealer)")
        return 0
    except ExportError as error:
        print(f"keyledger: {error}", file=sys.stderr)
        return error.exit_code
    finally:
        tree.close()
        ledger.close()
    print(
        f"verified: {verified.end} leaves hash to the signed root of size {verified.checkpoint.size}, "
        f"consistent with all {verified.held} stored checkpoints; {unsealed} events not yet sealed"
    )
    return 0
