"""Read model: releases, their files and their downloads (per release, per file and per day), for the
admin list and charts and for the desktop client's list of what it may download."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.download import Download
from domain.release import Release
from projections.base import Projection, context_of, stamp
from projections.pages import Order, Page, Query, as_dicts, fetch_page
from projections.store import Tx

TABLE, FILES, DAILY = "rm_releases", "rm_release_files", "rm_release_downloads"
COLUMNS = (
    "id", "product", "channel", "platform", "version", "notes", "min_tier", "status", "published_at",
    "withdrawn_at", "withdraw_reason", "files", "total_size", "downloads", "position",
)  # fmt: skip
FILE_COLUMNS = ("id", "release_id", "name", "size", "sha256", "sealed_size", "downloads")
SORTABLE = {"published_at": "", "version": "", "downloads": -1, "id": ""}
STATUSES = ("published", "withdrawn")
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, product TEXT NOT NULL, channel TEXT NOT NULL, platform TEXT NOT NULL,
        version TEXT NOT NULL, notes TEXT NOT NULL, min_tier TEXT NOT NULL, status TEXT NOT NULL,
        published_at TEXT NOT NULL, withdrawn_at TEXT, withdraw_reason TEXT, files INTEGER NOT NULL,
        total_size BIGINT NOT NULL, downloads INTEGER NOT NULL DEFAULT 0, position BIGINT NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {FILES} (
        id TEXT PRIMARY KEY, release_id TEXT NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL,
        size BIGINT NOT NULL, sha256 TEXT NOT NULL, sealed_size BIGINT NOT NULL,
        downloads INTEGER NOT NULL DEFAULT 0)""",
    f"CREATE INDEX IF NOT EXISTS {FILES}_release ON {FILES} (release_id, idx)",
    f"""CREATE TABLE IF NOT EXISTS {DAILY} (
        release_id TEXT NOT NULL, day TEXT NOT NULL, downloads INTEGER NOT NULL,
        PRIMARY KEY (release_id, day))""",
)


def published(tx: Tx, e: Release.Published, position: int) -> None:
    release_id = str(e.originator_id)
    tx.insert(
        TABLE,
        {
            "id": release_id, "product": e.product, "channel": e.channel, "platform": e.platform,
            "version": e.release_version, "notes": e.notes, "min_tier": e.min_tier, "status": "published",
            "published_at": stamp(e.timestamp), "files": len(e.files),
            "total_size": sum(int(f["size"]) for f in e.files), "position": position,
        },
    )  # fmt: skip
    for i, f in enumerate(e.files):
        tx.insert(
            FILES,
            {
                "id": str(f["file_id"]), "release_id": release_id, "idx": i, "name": f["name"],
                "size": f["size"], "sha256": f["sha256"], "sealed_size": f["sealed_size"],
            },
        )  # fmt: skip


def withdrawn(tx: Tx, e: Release.Withdrawn, _: int) -> None:
    reason = context_of(e).get("reason")
    tx.update(
        TABLE,
        e.originator_id,
        {"status": "withdrawn", "withdrawn_at": stamp(e.timestamp), "withdraw_reason": reason},
    )


def republished(tx: Tx, e: Release.Republished, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"status": "published", "withdrawn_at": None, "withdraw_reason": None})


def downloaded(tx: Tx, e: Download.Downloaded, _: int) -> None:
    tx.update(TABLE, e.release_id, add={"downloads": 1})
    tx.update(FILES, e.file_id, add={"downloads": 1})
    day = (str(e.release_id), e.timestamp.strftime("%Y-%m-%d"))
    tx.insert(DAILY, {"release_id": day[0], "day": day[1], "downloads": 0}, key=("release_id", "day"))
    tx.update(DAILY, day, add={"downloads": 1}, key=("release_id", "day"))


PROJECTION = Projection(
    name="releases",
    ddl=DDL,
    tables=(TABLE, FILES, DAILY),
    handlers={
        Release.Published: published,
        Release.Withdrawn: withdrawn,
        Release.Republished: republished,
        Download.Downloaded: downloaded,
    },
)


@dataclass(frozen=True)
class ReleaseFilter:
    status: str | None = None
    product: str | None = None
    channel: str | None = None
    platform: str | None = None


def list_releases(tx: Tx, f: ReleaseFilter, order: Order) -> Page:
    query = Query(TABLE, COLUMNS, SORTABLE)
    for name in ("status", "product", "channel", "platform"):
        value = getattr(f, name)
        if value:
            query.filter(f"{name} = ?", value)
    return fetch_page(tx, query, order)


def files_of(tx: Tx, release_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The files of each release, in their order."""
    found: dict[str, list[dict[str, Any]]] = {r: [] for r in release_ids}
    if release_ids:
        marks = ", ".join("?" for _ in release_ids)
        rows = tx.all(
            f"SELECT {', '.join(FILE_COLUMNS)} FROM {FILES} WHERE release_id IN ({marks})"
            " ORDER BY release_id, idx",
            release_ids,
        )
        for row in as_dicts(FILE_COLUMNS, rows):
            found[str(row["release_id"])].append(row)
    return found


def published_releases(tx: Tx, f: ReleaseFilter, limit: int = 500) -> list[dict[str, Any]]:
    """Published releases matching ``f`` with their files (newest first; the caller orders by version)."""
    page = list_releases(
        tx,
        ReleaseFilter("published", f.product, f.channel, f.platform),
        Order("published_at", limit=min(limit, 200)),
    )
    files = files_of(tx, [str(r["id"]) for r in page.rows])
    return [{**r, "file_list": files[str(r["id"])]} for r in page.rows]


def daily_downloads(tx: Tx, release_id: str | None, now: datetime, days: int) -> list[tuple[str, int]]:
    """Downloads per day over the last ``days`` days up to ``now`` (one release, or all), oldest first."""
    start = now - timedelta(days=days - 1)
    where, params = "day >= ?", [start.strftime("%Y-%m-%d")]
    if release_id is not None:
        where, params = where + " AND release_id = ?", [*params, release_id]
    counts = {
        str(d): int(n)
        for d, n in tx.all(f"SELECT day, SUM(downloads) FROM {DAILY} WHERE {where} GROUP BY day", params)
    }
    labels = [(start + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(days)]
    return [(day, counts.get(day, 0)) for day in labels]
