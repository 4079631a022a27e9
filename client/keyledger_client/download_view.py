"""``keyledger-client download``: fetch a release file with a progress bar (resuming a broken-off download),
prove its publication in the ledger, decrypt it in memory and check its SHA-256; the plaintext is written
only to ``--output``. A download that does not verify is deleted and nothing of it is kept."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from keyledger_client.client import KeyledgerClient
from keyledger_client.download_cache import CachedDownload
from keyledger_client.errors import ReleaseRejected
from keyledger_client.release_catalog import Release, ReleaseFile
from keyledger_client.releases import Progress as OnBytes
from keyledger_client.releases import consume, write_plaintext


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[OnBytes]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def download(
    client: KeyledgerClient,
    wanted: str | None,
    platform: str | None,
    channel: str,
    file_name: str | None,
    output: Path | None,
    console: Console,
) -> str:
    """Runs the download; returns the line that says what was verified and where the file is."""
    release = client.releases.find(wanted, platform=platform, channel=channel)
    file = release.file(file_name)
    with progress_bar(console, f"{file.name} {release.version}") as on_bytes:
        client.releases.download(release, file, on_bytes)
    try:
        proven = client.releases.prove(release, file)
        with progress_bar(console, "decrypting and verifying") as on_bytes:
            chunks = client.releases.open(release, file)
            size = (
                write_plaintext(counted(chunks, file.size, on_bytes), output)
                if output
                else consume(counted(chunks, file.size, on_bytes))
            )
    except ReleaseRejected:
        CachedDownload(client.releases.home, file.id).discard()
        raise
    return summary(release, file, size, proven, output)


def counted(chunks: Iterator[bytes], total: int, on_bytes: OnBytes) -> Iterator[bytes]:
    done = 0
    for chunk in chunks:
        done += len(chunk)
        on_bytes(done, total)
        yield chunk


def summary(release: Release, file: ReleaseFile, size: int, proven: int | None, output: Path | None) -> str:
    ledger = (
        f"its publication is in the ledger's signed checkpoint of size {proven}"
        if proven
        else "the ledger has not sealed its publication yet (not proven)"
    )
    where = (
        f"written to {output}"
        if output
        else "kept encrypted in the download cache (use --output to write it)"
    )
    digest = f"SHA-256 {file.sha256[:16]}…"
    return f"{file.name} {release.version} ({size:,} bytes) verified: {digest}; {ledger}; {where}."
