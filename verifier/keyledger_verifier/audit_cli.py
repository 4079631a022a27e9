"""``keyledger-audit``: verify a ledger export against a pinned checkpoint key and checkpoints held from
earlier, then replay state at any size or moment. Verification needs only the standard library and
``cryptography``. Replay decodes the stored events with the event classes of the server that wrote them
(``pip install keyledger-verifier[replay]`` beside the ``keyledger`` package), loaded by their stored
topics only when ``replay`` runs: nothing here imports the server.

Exit codes (one line on stdout when verified, on stderr otherwise):
  0 verified · 2 usage (bad arguments, unreadable file or key) · 3 malformed export · 4 bad signature ·
  5 mismatch at leaf i (or the leaves do not hash to the signed root) · 6 inconsistent with a held
  checkpoint (forked or rolled back) · 7 a held checkpoint lies outside the export's range
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from uuid import UUID

from keyledger_verifier.errors import MalformedCheckpoint
from keyledger_verifier.export import verify_export
from keyledger_verifier.export_format import ExportError, Uncheckable
from keyledger_verifier.notes import VerifierKey, parse_verifier_key

USAGE = 2


class UsageError(Exception):
    """An argument or file that cannot be used."""


def read_text(given: str) -> str:
    """The contents of file ``given``, or ``given`` itself if no such file exists."""
    path = Path(given)
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else given
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {given}: {error}") from None


def load_key(given: str) -> VerifierKey:
    try:
        return parse_verifier_key(read_text(given))
    except MalformedCheckpoint as error:
        raise UsageError(f"--key is not a C2SP verifier key: {error}") from None


def export_lines(given: str) -> Iterator[bytes]:
    if given == "-":
        yield from sys.stdin.buffer
        return
    try:
        with Path(given).open("rb") as handle:
            yield from handle
    except OSError as error:
        raise UsageError(f"cannot read {given}: {error}") from None


def verify(args: argparse.Namespace) -> int:
    held = [read_text(note) for note in args.held]
    verified = verify_export(export_lines(args.export), load_key(args.key), held)
    root = base64.b64encode(verified.checkpoint.root).decode()
    print(
        f"verified: leaves [{verified.start}, {verified.end}) of {verified.checkpoint.origin}; signed size "
        f"{verified.checkpoint.size}, root {root}; consistent with {verified.held} held checkpoint(s)"
    )
    return 0


def replay(args: argparse.Namespace) -> int:
    try:
        from keyledger_verifier.replay import EventClassesMissing  # noqa: PLC0415 -- replay only
        from keyledger_verifier.replay import replay as run_replay  # noqa: PLC0415 -- replay only
    except ImportError:
        raise UsageError("replay needs eventsourcing: pip install 'keyledger-verifier[replay]'") from None
    if args.key:
        verify_export(export_lines(args.export), load_key(args.key))
    at = None if args.at is None else parse_time(args.at)
    aggregate = None if args.aggregate is None else parse_id(args.aggregate)
    try:
        result = run_replay(export_lines(args.export), size=args.size, at=at, aggregate=aggregate)
    except EventClassesMissing as error:
        raise UsageError(str(error)) from None
    if args.size is not None and result["leaves"] < args.size:
        raise Uncheckable(f"the export holds {result['leaves']} leaves, fewer than --size {args.size}")
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


def parse_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise UsageError(f"--aggregate {text!r} is not an aggregate id") from None


def parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at {text!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise UsageError("--at needs a time zone offset (RFC 3339)")
    return moment


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="keyledger-audit", description="Verify and replay a Keyledger export")
    commands = root.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="check every leaf against the signed checkpoint")
    check.add_argument("export", help="export file (GET /ledger/export), or - for stdin")
    check.add_argument("--key", required=True, help="C2SP verifier key, or a file holding it")
    check.add_argument("--held", action="append", default=[], help="a signed checkpoint held from before")
    check.set_defaults(run=verify)
    again = commands.add_parser("replay", help="print the replayed state as JSON")
    again.add_argument("export")
    moment = again.add_mutually_exclusive_group(required=True)
    moment.add_argument("--at", help="RFC 3339 time: each aggregate as of its last event at or before it")
    moment.add_argument("--size", type=int, help="the state after the first N leaves")
    again.add_argument("--aggregate", help="only this aggregate id")
    again.add_argument("--key", help="verify the export against this key first")
    again.set_defaults(run=replay)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except UsageError as error:
        print(f"keyledger-audit: {error}", file=sys.stderr)
        return USAGE
    except ExportError as error:
        print(f"keyledger-audit: {error}", file=sys.stderr)
        return error.exit_code
    return code


if __name__ == "__main__":
    sys.exit(main())
