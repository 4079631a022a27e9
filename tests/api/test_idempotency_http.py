"""Idempotency-Key on every state-changing JSON route: the same key and request is answered with the
first response byte for byte; another request under the key is 422; a running one is 409; concurrent
retries make one write."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from api.idempotency import applies
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, services_of, web_session
from tests.api.test_authorization_matrix import (
    BODIES,
    HOOK_SETTINGS,
    ROWS,
    TARGETS,
    World,
    app_of,
    build_world,
    headers_for,
)

WRITES = [route for route in ROWS if applies(*route)]
# A replay is served only to a caller who still authenticates: after logout the credential is gone.
ENDS_ITS_CREDENTIAL = {("POST", "/auth/logout"), ("POST", "/auth/client/logout")}


def send(world: World, route: tuple[str, str], key: str, query: dict[str, str] | None = None) -> Any:
    method, template = route
    auth, _ = ROWS[route]
    path = template.format(**(world.ids | {k: world.ids[v] for k, v in TARGETS.get(route, {}).items()}))
    body = BODIES[route](world, "admin") if route in BODIES else None
    headers = {**headers_for(world, auth, "admin"), "Idempotency-Key": key}
    world.api.client.cookies.clear()
    return world.api.client.request(method, path, params=query, json=body, headers=headers)


@pytest.fixture
def world(tmp_path: Path, now: datetime) -> Iterator[World]:
    with sqlite_api(tmp_path, now, **HOOK_SETTINGS) as api:
        yield build_world(api)


def test_the_openapi_document_names_the_header_on_every_write(tmp_path: Path, now: datetime) -> None:
    """Every state-changing JSON operation documents Idempotency-Key (with its window) and its 409/422."""
    with sqlite_api(tmp_path, now) as api:
        paths = app_of(api).openapi()["paths"]
    documented = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    assert documented == set(WRITES)
    sample = paths["/admin/licenses"]["post"]
    assert {"409", "422"} <= set(sample["responses"])
    assert (
        "24 hours" in next(p for p in sample["parameters"] if p["name"] == "Idempotency-Key")["description"]
    )


@pytest.mark.parametrize("route", WRITES, ids=" ".join)
def test_a_replay_is_the_first_response_byte_for_byte(world: World, route: tuple[str, str]) -> None:
    """Same key, same request: the first status and body again, marked replayed; another request under
    the key: 422 ``idempotency_key_reused``."""
    first = send(world, route, "retry-1")
    assert 200 <= first.status_code < 300, first.text
    again = send(world, route, "retry-1")
    if route in ENDS_ITS_CREDENTIAL:
        assert again.status_code == 401
        return
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    other = send(world, route, "retry-1", query={"variant": "2"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


def license_count(api: Api) -> int:
    return len(
        api.client.get("/admin/licenses", params={"limit": 200}, headers=web_session(api, "boss")).json()[
            "items"
        ]
    )


@pytest.fixture
def api(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now) as running:
        running.create_account("boss", Role.ADMIN)
        yield running


def test_a_license_batch_retried_prints_the_same_keys_once(api: Api) -> None:
    """A batch retried under its key answers the same keys and issues nothing more."""
    admin = {**web_session(api, "boss"), "Idempotency-Key": "batch-7"}
    first = api.client.post("/admin/licenses", json={"days": 30, "count": 3}, headers=admin)
    api.client.cookies.clear()
    again = api.client.post("/admin/licenses", json={"count": 3, "days": 30}, headers=admin)
    assert again.content == first.content
    services_of(api).reads.wait_for(first.json()["position"])
    assert license_count(api) == 3


def test_another_password_under_the_same_key_is_another_request(api: Api) -> None:
    """POST /admin/users reused with a different password is 422, never a replay that drops it."""
    admin = {**web_session(api, "boss"), "Idempotency-Key": "user-1"}
    body = {"username": "carol", "password": "first password"}
    assert api.client.post("/admin/users", json=body, headers=admin).status_code == 201
    api.client.cookies.clear()
    changed = api.client.post("/admin/users", json={**body, "password": "second password"}, headers=admin)
    assert (changed.status_code, changed.json()["code"]) == (422, "idempotency_key_reused")


def test_a_request_still_running_under_the_key_is_409(api: Api) -> None:
    """While the first request holds the key, a retry is 409 ``idempotency_key_in_flight``."""
    admin = {**web_session(api, "boss"), "Idempotency-Key": "slow-1"}
    svc = services_of(api)
    started, release = threading.Event(), threading.Event()
    original = svc.ledger.issue_licenses

    def slow(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(10)
        return original(*args, **kwargs)

    svc.ledger.issue_licenses = slow  # type: ignore[method-assign]
    results: list[httpx2.Response] = []
    first = threading.Thread(target=lambda: results.append(post_batch(api, admin)))
    first.start()
    assert started.wait(10)
    retry = post_batch(api, admin)
    release.set()
    first.join(10)
    assert (retry.status_code, retry.json()["code"]) == (409, "idempotency_key_in_flight")
    assert results[0].status_code == 201


def post_batch(api: Api, headers: dict[str, str]) -> httpx2.Response:
    client = TestClient(api.client.app, base_url="https://testserver", client=("203.0.113.7", 50000))
    return client.post("/admin/licenses", json={"days": 30}, headers=headers)


def test_concurrent_retries_write_once(api: Api) -> None:
    """Eight concurrent requests under one key issue one license; each answer is the batch or a 409."""
    admin = {**web_session(api, "boss"), "Idempotency-Key": "race-1"}
    results: list[httpx2.Response] = []
    threads = [threading.Thread(target=lambda: results.append(post_batch(api, admin))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    bodies = {r.content for r in results if r.status_code == 201}
    assert len(bodies) == 1
    services_of(api).reads.wait_for(
        max(r.json().get("position") or 0 for r in results if r.status_code == 201)
    )
    assert license_count(api) == 1
