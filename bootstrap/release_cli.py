"""``keyledger admin publish-release`` and ``keyledger keys rotate-file-master``: release files from the
command line, through the same pipeline as the upload route (``api.release_uploads``): each file sealed
as it is read, with a progress bar, and the release published only when every file is stored."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from adapters.key_wrap import rotate_master_key
from api.release_uploads import ReleaseDraft, Staged, check_new
from bootstrap.files import build_vault
from bootstrap.settings import Settings
from domain.context import AuditContext
from domain.ledger.service import Ledger

CHUNK = 1024 * 1024
Command = Callable[[argparse.Namespace, Settings], int]


def reading(path: Path, advance: Callable[[int], object]) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            advance(len(chunk))
            yield chunk


def publish_release(args: argparse.Namespace, settings: Settings, ledger: Ledger, ctx: AuditContext) -> int:
    """Seals and stores every file, then publishes the release; prints its id."""
    fields = {"version": args.version, "channel": args.channel, "platform": args.platform}
    draft = ReleaseDraft.of(
        {**fields, "product": args.product, "notes": args.notes, "min_tier": args.min_tier}
    )
    check_new(ledger, draft)
    vault = build_vault(settings, ledger, create_tables=not settings.database_url)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    try:
        with (
            Progress(*columns, console=Console(stderr=True)) as bar,
            Staged(vault, ledger.new_id, settings.max_upload_bytes) as staged,
        ):
            for path in args.files:
                task = bar.add_task(f"sealing {path.name}", total=path.stat().st_size)
                staged.add(path.name, reading(path, functools.partial(bar.advance, task)))
            written = staged.publish(ledger, draft, datetime.now(UTC), ctx)
    finally:
        vault.secrets.close()
    print(written.value)
    return 0


def rotate_file_master(settings: Settings, ledger: Ledger) -> int:
    """Retires the file master key, installs a new one and re-wraps every data key under it (sealed files
    are untouched); prints how many keys it re-wrapped."""
    rotate_master_key(settings.data_dir)
    vault = build_vault(settings, ledger)
    try:
        count = vault.rewrap_all()
    finally:
        vault.secrets.close()
    print(f"re-wrapped {count} data keys under the new master key")
    return 0


if TYPE_CHECKING:  # the class is generic only to type checkers
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]


def add_commands(admin: Parsers, keys: Parsers, run: Callable[..., Command]) -> None:
    publish = admin.add_parser("publish-release", help="seal and publish release files; prints its id")
    publish.add_argument("files", nargs="+", type=Path, metavar="FILE")
    publish.add_argument("--version", required=True, help="Semantic Version, e.g. 1.4.0")
    publish.add_argument("--channel", required=True, help="stable, beta, ...")
    publish.add_argument("--platform", required=True, help="linux-x86_64, windows-amd64, ...")
    publish.add_argument("--product", default="main")
    publish.add_argument("--notes", default="")
    publish.add_argument("--min-tier", default="user", help="user or vip")
    publish.set_defaults(run=run(publish_release))
    rotate = keys.add_parser("rotate-file-master", help="new file master key; re-wraps data keys only")
    rotate.set_defaults(run=run(lambda _args, settings, ledger, _ctx: rotate_file_master(settings, ledger)))
