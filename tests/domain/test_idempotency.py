"""Idempotency records: a retried request gets the first result; another request with the key is refused."""

from __future__ import annotations

import pytest

from domain.errors import IdempotencyKeyReused, InvalidInput
from domain.idempotency import IdempotencyRecord, check_idempotency_key
from tests.domain.aggregate_case import LICENSE_ID, given, recorded, then, then_one


def test_record_keeps_command_request_and_result() -> None:
    """The first request's command, digest and result are recorded."""
    record = recorded({"license_id": str(LICENSE_ID)})
    event = then_one(record, IdempotencyRecord.Recorded)
    assert (event.command, event.request_digest, event.result) == (
        "activate",
        "r" * 64,
        {"license_id": str(LICENSE_ID)},
    )


def test_replay_of_the_same_request_returns_the_first_result() -> None:
    """A retry with the same command and request gets the original result and appends nothing."""
    record = given(recorded({"license_id": str(LICENSE_ID)}))
    assert record.replay("activate", "r" * 64) == {"license_id": str(LICENSE_ID)}
    assert then(record) == []


@pytest.mark.parametrize(("command", "digest"), [("activate", "s" * 64), ("register", "r" * 64)])
def test_replay_of_a_different_request_is_refused(command: str, digest: str) -> None:
    """The same key with another request body or another command is IdempotencyKeyReused."""
    record = given(recorded())
    with pytest.raises(IdempotencyKeyReused):
        record.replay(command, digest)
    assert then(record) == []


@pytest.mark.parametrize("key", ["k", "k" * 200, "3f2c-uuid-like", "with space"])
def test_idempotency_keys_accepted(key: str) -> None:
    """A key is 1-200 printable characters."""
    assert check_idempotency_key(key) == key


@pytest.mark.parametrize("key", ["", "k" * 201, "tab\t", "new\nline"])
def test_idempotency_keys_refused(key: str) -> None:
    """Empty, longer than 200 or unprintable keys are refused."""
    with pytest.raises(InvalidInput, match="idempotency_key"):
        check_idempotency_key(key)
