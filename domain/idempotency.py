"""Idempotency records: a client's ``Idempotency-Key`` for one command, the digest of the request it came
with, and the result returned the first time. A retry with the same key and request returns that result
and appends nothing; the same key with a different request is refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import IdempotencyKeyReused, InvalidInput

MAX_KEY = 200


def check_idempotency_key(key: str) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise InvalidInput("idempotency_key", f"1-{MAX_KEY} printable characters")
    return key


class IdempotencyRecord(Aggregate):
    class Recorded(Aggregate.Created):
        command: str
        request_digest: str
        result: dict[str, Any]

    @event(Recorded)
    def __init__(self, command: str, request_digest: str, result: dict[str, Any]) -> None:
        self.command = command
        self.request_digest = request_digest
        self.result = result

    @classmethod
    def record(
        cls,
        *,
        record_id: UUID,
        command: str,
        request_digest: str,
        result: dict[str, Any],
        now: datetime,
    ) -> IdempotencyRecord:
        return cls._create(
            cls.Recorded,
            id=record_id,
            command=command,
            request_digest=request_digest,
            result=result,
            timestamp=now,
        )

    def replay(self, command: str, request_digest: str) -> dict[str, Any]:
        """The first result, if this retry is the same request."""
        if command != self.command or request_digest != self.request_digest:
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
        return self.result
