"""Crash reports: what one crash leaves in the client's home (``crashes/report-<id>.json``, mode 0600,
written atomically), already redacted, until the application sends or discards it. The JSON of a report
is the body of ``POST /client/crash-reports`` (docs/crash-reports.md)."""

from __future__ import annotations

import json
import logging
import os
import platform
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from keyledger_client.redaction import Redactor
from keyledger_client.version import VERSION

log = logging.getLogger("keyledger_client.crash")

CRASHES_FOLDER = "crashes"
MAX_SUMMARY_CHARS = 200
MAX_TRACEBACK_BYTES = 16 * 1024
MAX_LOG_TAIL_BYTES = 8 * 1024
LOG_TAIL_LINES = 50
Kind = Literal["exception", "fault"]


@dataclass(frozen=True)
class CrashReport:
    report_id: str
    occurred_at: str
    client_version: str
    app_version: str | None
    platform: str
    python: str
    kind: Kind
    summary: str
    traceback: str
    log_tail: str

    def body(self, redact: Redactor | None = None) -> dict[str, Any]:
        """The JSON body sent to the server; ``redact`` passes over the free text once more."""
        body = asdict(self)
        for field in ("summary", "traceback", "log_tail") if redact else ():
            body[field] = redact(body[field])  # type: ignore[misc]
        return body


def make_report(
    kind: Kind, text: str, when: datetime, *, app_version: str | None, log_file: Path, redact: Redactor
) -> CrashReport:
    """A redacted report of ``text`` (a traceback or a fault dump) with the tail of ``log_file``."""
    lines = [line.strip() for line in redact(text).splitlines() if line.strip()]
    summary = (lines[-1] if kind == "exception" else lines[0]) if lines else f"{kind} without a message"
    return CrashReport(
        report_id=str(uuid.uuid4()),
        occurred_at=when.isoformat().replace("+00:00", "Z"),
        client_version=VERSION,
        app_version=app_version,
        platform=platform.platform(terse=True),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        kind=kind,
        summary=summary[:MAX_SUMMARY_CHARS],
        traceback=last_bytes(redact(text), MAX_TRACEBACK_BYTES),
        log_tail=last_bytes(redact(read_tail(log_file)), MAX_LOG_TAIL_BYTES),
    )


def last_bytes(text: str, limit: int) -> str:
    """The end of ``text`` in at most ``limit`` UTF-8 bytes (the latest frames are at the end)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    marker = "[truncated]\n"
    return marker + data[-(limit - len(marker)) :].decode(errors="ignore")


def read_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as file:
            file.seek(max(0, file.seek(0, os.SEEK_END) - 64 * 1024))
            return "\n".join(file.read().decode(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class CrashStore:
    """The reports waiting in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, report: CrashReport) -> Path:
        """Temporary file, fsync, rename: a report is there whole or not at all."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.folder / f"report-{report.report_id}.json"
        temporary = self.folder / f".report-{report.report_id}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(report.body(), file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        return path

    def pending(self) -> list[CrashReport]:
        """Every report waiting, oldest first; an unreadable file is skipped (and logged)."""
        found = []
        for path in sorted(self.folder.glob("report-*.json")):
            try:
                found.append(CrashReport(**json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError) as error:
                log.warning("skipping unreadable crash report %s: %s", path.name, type(error).__name__)
        return sorted(found, key=lambda report: report.occurred_at)

    def delete(self, report_id: str) -> None:
        (self.folder / f"report-{uuid.UUID(report_id)}.json").unlink(missing_ok=True)
