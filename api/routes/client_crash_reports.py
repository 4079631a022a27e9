"""Desktop crash reports (docs/crash-reports.md): a client sends a redacted report of an earlier crash, once
its user agreed; the report becomes one ``CrashReport.Reported`` event. The same ``report_id`` sent again
is a replay: the same answer, nothing appended. Counted in the general API limit like every request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, Field

from api.deps import AppServices, CurrentClient
from api.problems import responses
from api.schemas import NO_NUL, Body
from domain import crash_report as rules
from domain.crash_report import CrashDetails, Reporter

router = APIRouter(prefix="/client", tags=["desktop crash reports"])

UUID_TEXT = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
UTC_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"


def label(limit: int) -> Any:
    return Field(min_length=1, max_length=limit, pattern=NO_NUL)


def real_time(value: str) -> str:
    datetime.fromisoformat(value)  # ValueError (a 422) for a date that does not exist
    return value


def utf8_bytes(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value.encode("utf-8", "surrogatepass")) > limit:
            raise ValueError(f"at most {limit} bytes of UTF-8")
        return value

    return AfterValidator(check)


class CrashReportBody(Body):
    """A crash report as the client keeps it: every field required, no other field."""

    report_id: Annotated[str, Field(pattern=UUID_TEXT, description="a UUID the client made")]
    occurred_at: Annotated[
        str, Field(pattern=UTC_TIME, description="RFC 3339 in UTC with Z"), AfterValidator(real_time)
    ]
    client_version: Annotated[str, label(rules.MAX_CLIENT_VERSION)]
    app_version: Annotated[str, Field(max_length=rules.MAX_APP_VERSION, pattern=NO_NUL)] | None = Field(
        description="null (or empty) when the application did not say"
    )
    platform: Annotated[str, label(rules.MAX_PLATFORM)]
    python: Annotated[str, label(rules.MAX_PYTHON)]
    kind: Literal["exception", "fault"]
    summary: Annotated[str, Field(min_length=1, max_length=rules.MAX_SUMMARY)]
    traceback: Annotated[
        str, Field(max_length=rules.MAX_TRACEBACK_BYTES), utf8_bytes(rules.MAX_TRACEBACK_BYTES)
    ]
    log_tail: Annotated[str, Field(max_length=rules.MAX_LOG_TAIL_BYTES), utf8_bytes(rules.MAX_LOG_TAIL_BYTES)]

    def details(self) -> CrashDetails:
        return CrashDetails(
            report_id=UUID(self.report_id),
            occurred_at=datetime.fromisoformat(self.occurred_at),
            client_version=self.client_version,
            app_version=self.app_version or None,
            platform=self.platform,
            python=self.python,
            kind=self.kind,
            summary=self.summary,
            traceback=self.traceback,
            log_tail=self.log_tail,
        )


class CrashReceipt(BaseModel):
    position: int = Field(description="ledger position of the report's event (the same for a replay)")
    id: str = Field(description="the report's id on the server (GET /admin/crash-reports/{crash_id})")


@router.post(
    "/crash-reports", status_code=201, response_model=CrashReceipt, responses=responses(401, 422, 429, 503)
)
def send_crash_report(
    body: CrashReportBody, principal: CurrentClient, request: Request, svc: AppServices
) -> CrashReceipt:
    """Records a crash report of the caller's device; a ``report_id`` sent before answers as the first
    time and records nothing (the client's ``Idempotency-Key`` is that same report id)."""
    claims = principal.claims
    reporter = Reporter(claims.account_id, claims.device_id, claims.session_id)
    written = svc.ledger.report_crash(reporter, body.details(), svc.clock(), principal.context(request))
    position = written.position if written.position is not None else first_position(svc, written.value)
    return CrashReceipt(position=position, id=str(written.value))


def first_position(svc: AppServices, crash_id: UUID) -> int:
    """The position of the report's creation event, read from the event store (a replay's answer)."""
    [created, *_] = svc.ledger_log.history(crash_id)
    return int(created.event["position"])
