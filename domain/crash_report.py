"""The CrashReport aggregate: one crash of a desktop application, as its user agreed to send it
(docs/crash-reports.md). Its id is a keyed HMAC of the account and the report id the client made, so a
report sent twice is recorded once. The free text (summary, traceback, log tail) was redacted by the
client but stays untrusted input: it is stored as text and never interpreted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.errors import InvalidInput

KINDS = ("exception", "fault")
MAX_CLIENT_VERSION = 32
MAX_APP_VERSION = 100
MAX_PLATFORM = 200
MAX_PYTHON = 100
MAX_SUMMARY = 200
MAX_TRACEBACK_BYTES = 16 * 1024
MAX_LOG_TAIL_BYTES = 8 * 1024


def check_label(name: str, value: str, limit: int) -> str:
    """A short label (a version, a platform): 1 to ``limit`` printable characters."""
    if not isinstance(value, str) or not 1 <= len(value) <= limit or not value.isprintable():
        raise InvalidInput(name, f"1-{limit} printable characters")
    return value


def check_text(name: str, value: str, limit_bytes: int, *, min_chars: int = 0) -> str:
    """Free text (valid Unicode, at least ``min_chars`` characters) of at most ``limit_bytes`` bytes of
    UTF-8."""
    try:
        size = len(value.encode())
    except (AttributeError, UnicodeEncodeError):
        raise InvalidInput(name, "must be valid Unicode text") from None
    if size > limit_bytes or len(value) < min_chars:
        raise InvalidInput(name, f"{min_chars} characters to {limit_bytes} bytes of UTF-8")
    return value


@dataclass(frozen=True)
class CrashDetails:
    """What the client reports about one crash (every field of the request body)."""

    report_id: UUID
    occurred_at: datetime
    client_version: str
    app_version: str | None
    platform: str
    python: str
    kind: str
    summary: str
    traceback: str
    log_tail: str

    def checked(self) -> CrashDetails:
        """These details if every field keeps its rule; ``InvalidInput`` for the first that does not."""
        if self.occurred_at.tzinfo is None:
            raise InvalidInput("occurred_at", "must be a time in UTC")
        if self.kind not in KINDS:
            raise InvalidInput("kind", "exception or fault")
        check_label("client_version", self.client_version, MAX_CLIENT_VERSION)
        if self.app_version is not None:
            check_label("app_version", self.app_version, MAX_APP_VERSION)
        check_label("platform", self.platform, MAX_PLATFORM)
        check_label("python", self.python, MAX_PYTHON)
        if len(self.summary) > MAX_SUMMARY:
            raise InvalidInput("summary", f"at most {MAX_SUMMARY} characters")
        check_text("summary", self.summary, 4 * MAX_SUMMARY, min_chars=1)
        check_text("traceback", self.traceback, MAX_TRACEBACK_BYTES)
        check_text("log_tail", self.log_tail, MAX_LOG_TAIL_BYTES)
        return self


@dataclass(frozen=True)
class Reporter:
    """Who sent the report, from the access token (never from the body)."""

    account_id: UUID
    device_id: UUID
    session_id: UUID


class CrashReport(Aggregate):
    class Reported(Aggregate.Created):
        report_id: UUID
        occurred_at: datetime
        client_version: str
        app_version: str | None
        platform: str
        python: str
        kind: str
        summary: str
        traceback: str
        log_tail: str
        account_id: UUID
        device_id: UUID
        session_id: UUID
        context: ContextData

    @event(Reported)
    def __init__(
        self,
        report_id: UUID,
        occurred_at: datetime,
        client_version: str,
        app_version: str | None,
        platform: str,
        python: str,
        kind: str,
        summary: str,
        traceback: str,
        log_tail: str,
        account_id: UUID,
        device_id: UUID,
        session_id: UUID,
        context: ContextData,
    ) -> None:
        self.details = CrashDetails(
            report_id, occurred_at, client_version, app_version, platform, python, kind, summary,
            traceback, log_tail,
        )  # fmt: skip
        self.reporter = Reporter(account_id, device_id, session_id)

    @classmethod
    def report(
        cls,
        *,
        crash_id: UUID,
        details: CrashDetails,
        reporter: Reporter,
        now: datetime,
        ctx: AuditContext,
    ) -> CrashReport:
        checked = details.checked()
        return cls._create(
            cls.Reported,
            id=crash_id,
            report_id=checked.report_id,
            occurred_at=checked.occurred_at,
            client_version=checked.client_version,
            app_version=checked.app_version,
            platform=checked.platform,
            python=checked.python,
            kind=checked.kind,
            summary=checked.summary,
            traceback=checked.traceback,
            log_tail=checked.log_tail,
            account_id=reporter.account_id,
            device_id=reporter.device_id,
            session_id=reporter.session_id,
            context=ctx.as_event_data(),
            timestamp=now,
        )

    def summary(self) -> dict[str, Any]:
        """Everything recorded, as plain values (ids and times as text)."""
        d, r = self.details, self.reporter
        return {
            "id": str(self.id),
            "report_id": str(d.report_id),
            "reported_at": self.created_on.isoformat(),
            "occurred_at": d.occurred_at.isoformat(),
            "account_id": str(r.account_id),
            "device_id": str(r.device_id),
            "session_id": str(r.session_id),
            "client_version": d.client_version,
            "app_version": d.app_version,
            "platform": d.platform,
            "python": d.python,
            "kind": d.kind,
            "summary": d.summary,
            "traceback": d.traceback,
            "log_tail": d.log_tail,
        }
