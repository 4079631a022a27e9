"""The crash handler an application installs first thing: an uncaught exception in the main thread
(``sys.excepthook``) or in any thread (``threading.excepthook``) leaves a redacted report at once; a hard
fault (segmentation fault, abort) makes ``faulthandler`` write its dump into a file opened in advance
(``crashes/fault-*.txt``), which the next start turns into a report. The previous hooks still run after
ours, so the application's own handling and the usual traceback on stderr stay."""

from __future__ import annotations

import atexit
import faulthandler
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from traceback import format_exception
from types import TracebackType
from typing import TextIO

from keyledger_client.crash_reports import CRASHES_FOLDER, CrashStore, Kind, make_report
from keyledger_client.logs import LOG_FILE
from keyledger_client.redaction import Redactor
from keyledger_client.state import StateFile, default_home

log = logging.getLogger("keyledger_client.crash")

HEADER = "# keyledger fault file; app_version="
STALE_EMPTY_FAULT_FILE_S = 7 * 24 * 3600


class CrashHandler:
    def __init__(self, home: Path, *, app_version: str | None = None) -> None:
        self.home, self.app_version = home, app_version
        self.store = CrashStore(home / CRASHES_FOLDER)
        self.fault_path: Path | None = None
        self._fault_file: TextIO | None = None
        self._previous: tuple[Callable[..., object], Callable[..., object]] | None = None

    def install(self, *, faults: bool = True) -> None:
        """Turns dumps left by earlier faults into reports, then installs the hooks (and ``faulthandler``
        unless ``faults`` is False)."""
        collect_faults(self.home)
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception
        if faults:
            self._open_fault_file()
        atexit.register(self.uninstall)

    def uninstall(self) -> None:
        """Puts the previous hooks back; an empty fault file is removed (at exit too)."""
        atexit.unregister(self.uninstall)
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None
        if self._fault_file is not None and self.fault_path is not None:
            faulthandler.disable()
            self._fault_file.close()
            self._fault_file = None
            if self.fault_path.stat().st_size <= len(fault_header(self.app_version)):
                self.fault_path.unlink(missing_ok=True)

    def report(self, kind: Kind, text: str) -> Path | None:
        """Writes a report now; never raises (a crash handler that crashes helps no one)."""
        try:
            redact = Redactor(known_usernames(self.home))
            report = make_report(
                kind,
                text,
                datetime.now(UTC),
                app_version=self.app_version,
                log_file=self.home / LOG_FILE,
                redact=redact,
            )
            path = self.store.write(report)
        except Exception:
            log.exception("could not write a crash report")
            return None
        log.error("crash report %s written: %s", report.report_id, report.summary)
        return path

    def _on_exception(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            self.report("exception", "".join(format_exception(kind, error, trace)))
        if self._previous is not None:
            self._previous[0](kind, error, trace)

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit and args.exc_value is not None:
            text = "".join(format_exception(args.exc_type, args.exc_value, args.exc_traceback))
            self.report("exception", f"in thread {getattr(args.thread, 'name', '?')}:\n{text}")
        if self._previous is not None:
            self._previous[1](args)

    def _open_fault_file(self) -> None:
        self.store.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.fault_path = self.store.folder / f"fault-{os.getpid()}-{uuid.uuid4().hex[:8]}.txt"
        descriptor = os.open(self.fault_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._fault_file = os.fdopen(descriptor, "w", encoding="utf-8")
        self._fault_file.write(fault_header(self.app_version))
        self._fault_file.flush()
        faulthandler.enable(file=self._fault_file, all_threads=True)


def install_crash_handler(
    app_id: str = "keyledger",
    *,
    app_version: str | None = None,
    home: Path | None = None,
    faults: bool = True,
) -> CrashHandler:
    """Installs the crash handler for ``app_id`` (whose home the SDK uses); call it as early as possible."""
    handler = CrashHandler(home or default_home(app_id), app_version=app_version)
    handler.install(faults=faults)
    return handler


def fault_header(app_version: str | None) -> str:
    return f"{HEADER}{json.dumps(app_version)}\n"


def known_usernames(home: Path) -> list[str]:
    username = StateFile(home).load().username
    return [username] if username else []


def collect_faults(home: Path) -> None:
    """Every fault file with a dump becomes a report; empty ones of long-gone processes are removed."""
    store = CrashStore(home / CRASHES_FOLDER)
    for path in sorted(store.folder.glob("fault-*.txt")):
        try:
            header, _, dump = path.read_text(encoding="utf-8", errors="replace").partition("\n")
            if dump.strip():
                when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                redact = Redactor(known_usernames(home))
                report = make_report(
                    "fault",
                    dump,
                    when,
                    app_version=_app_version(header),
                    log_file=home / LOG_FILE,
                    redact=redact,
                )
                store.write(report)
                path.unlink()
            elif time.time() - path.stat().st_mtime > STALE_EMPTY_FAULT_FILE_S:
                path.unlink()
        except OSError as error:
            log.warning("could not read the fault file %s: %s", path.name, type(error).__name__)


def _app_version(header: str) -> str | None:
    try:
        version = json.loads(header.removeprefix(HEADER)) if header.startswith(HEADER) else None
    except ValueError:
        return None
    return version if isinstance(version, str) else None
