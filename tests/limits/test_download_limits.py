"""The download limit (20 per hour per account by default): exact at its window's edge, closed when Redis
cannot count, and rebuilt from the ledger's ``Downloaded`` events when Redis has lost its windows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.api.embedded import sqlite_api
from tests.api.harness import Api, services_of
from tests.releases.harness import Device, admin, device, grant, published

REDIS_URL = "redis://127.0.0.1:6379/13"


def ready(api: Api) -> tuple[Device, dict[str, Any]]:
    release = published(api, admin(api), {"app.bin": b"x" * 100})
    return device(api, "carol"), release


def statuses(api: Api, client: Device, release: dict[str, Any], count: int) -> list[int]:
    return [grant(api, client, release).status_code for _ in range(count)]


def test_the_twenty_first_download_in_an_hour_waits_exactly_until_the_first_leaves(
    tmp_path: Path, now: datetime
) -> None:
    """Twenty grants are admitted and the 21st is 429 with Retry-After; a moment before the hour it is
    still refused, at the hour (the first grant leaving the window) it is admitted."""
    with sqlite_api(tmp_path, now) as api:
        client, release = ready(api)
        assert statuses(api, client, release, 20) == [201] * 20
        refused = grant(api, client, release)
        assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
        assert refused.headers["Retry-After"] == "3600"
        api.clock.advance(seconds=3599.5)
        client = refreshed(api, client)
        assert grant(api, client, release).status_code == 429
        api.clock.advance(seconds=0.5)
        assert grant(api, client, release).status_code == 201


def refreshed(api: Api, client: Device) -> Device:
    """The client after renewing its expired access token."""
    answer = api.client.post("/auth/refresh", json={"refresh_token": client.tokens["refresh_token"]})
    assert answer.status_code == 200, answer.text
    return Device(answer.json(), client.key)


def test_downloads_fail_closed_when_redis_cannot_count(tmp_path: Path, now: datetime) -> None:
    """With Redis unreachable a grant is refused (503 limiter_unavailable, Retry-After) and nothing is
    written, while heartbeats keep working."""
    with sqlite_api(tmp_path, now, redis_url="redis://127.0.0.1:1/0") as api:
        client, release = ready(api)
        before = api.ledger.recorder.max_notification_id()
        refused = grant(api, client, release)
        beat = api.client.post("/client/heartbeat", json={}, headers=client.headers)
        assert (refused.status_code, refused.json()["code"]) == (503, "limiter_unavailable")
        assert refused.headers["Retry-After"]
        assert api.ledger.recorder.max_notification_id() == before
        assert beat.status_code == 200


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_download_windows_are_rebuilt_from_the_ledger(
    tmp_path: Path, now: datetime, redis_db: redis.Redis
) -> None:
    """Five of eight downloads taken, Redis loses everything: the window is rebuilt from the Downloaded
    events before the next check, so only three more are admitted."""
    with sqlite_api(tmp_path, now, redis_url=REDIS_URL, download_limit="8/3600") as api:
        client, release = ready(api)
        assert statuses(api, client, release, 5) == [201] * 5
        services_of(api).reads.wait_for(api.ledger.recorder.max_notification_id())
        redis_db.flushdb()
        time.sleep(1.1)  # the shared limiter is checked for a lost state at most once a second
        assert statuses(api, client, release, 4) == [201] * 3 + [429]
