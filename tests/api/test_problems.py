"""Every error is an RFC 9457 problem document with a stable ``code``: validation, body limits, routing,
domain errors and the unexpected all take the one shape from api/errors.py."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from api.deps import services
from api.errors import status_of
from domain import errors as domain
from domain import license_keys
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import COMPONENTS, PASSWORD, Api, issue_key, web_session

LIMIT = 1024
SHARED_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "request_id"}


@pytest.fixture
def lite(tmp_path: Path, now: datetime) -> Iterator[Api]:
    """The app over SQLite only, with the smallest body limit settings allow."""
    with sqlite_api(tmp_path, now, max_body_bytes=LIMIT) as harness:
        harness.create_account("root", Role.ADMIN)
        yield harness


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One app for the tests whose requests are refused or change nothing a later test could notice."""
    with sqlite_api(tmp_path_factory.mktemp("shared"), SHARED_NOW, max_body_bytes=LIMIT) as harness:
        harness.create_account("root", Role.ADMIN)
        yield harness


def assert_problem(response: httpx2.Response, status: int, code: str) -> dict[str, Any]:
    """The response is a problem document of this status and code, carrying the response's request id."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_FIELDS, body
    assert (body["status"], body["code"], body["type"]) == (status, code, f"urn:keyledger:problem:{code}")
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def admin(lite: Api) -> dict[str, str]:
    return web_session(lite, "root")


def test_unknown_fields_are_422_naming_the_field(shared: Api) -> None:
    """A body with a field the schema does not know is 422 ``invalid_request`` listing that field."""
    response = shared.client.post("/auth/login", json={"username": "root", "password": PASSWORD, "role": "x"})
    body = assert_problem(response, 422, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["role"]


def test_unknown_nested_fields_are_named_by_their_path(shared: Api) -> None:
    """An unknown field inside a nested object is named by its dotted path."""
    fingerprint = {"components": COMPONENTS, "salt": "x"}
    response = shared.client.post(
        "/auth/client/login", json={"username": "root", "password": PASSWORD, "fingerprint": fingerprint}
    )
    body = assert_problem(response, 422, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["fingerprint.salt"]


def test_unknown_fields_on_admin_writes_are_refused(shared: Api) -> None:
    """Admin bodies reject unknown fields too (no silently ignored ``role`` on create, say)."""
    response = shared.client.post(
        "/admin/users",
        json={"username": "carol", "password": PASSWORD, "is_admin": True},
        headers=admin(shared),
    )
    body = assert_problem(response, 422, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["is_admin"]
    assert shared.ledger.account_id_for("carol") is None


def test_missing_and_mistyped_fields_are_422(shared: Api) -> None:
    """Missing and wrongly typed fields are 422 ``invalid_request`` listing each field."""
    response = shared.client.post("/auth/login", json={"username": 7})
    body = assert_problem(response, 422, "invalid_request")
    assert sorted(e["field"] for e in body["errors"]) == ["password", "username"]


def test_a_declared_body_over_the_limit_is_413(shared: Api) -> None:
    """A Content-Length over max_body_bytes is refused with 413 ``body_too_large`` before it is read."""
    response = shared.client.post(
        "/auth/login", content=b"{" + b" " * LIMIT + b"}", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413, "body_too_large")


def test_a_streamed_body_over_the_limit_is_413(shared: Api) -> None:
    """A chunked body with no Content-Length is cut off at the limit with 413 ``body_too_large``."""

    def chunks() -> Iterator[bytes]:
        yield b'{"username": "root", "password": "'
        for _ in range(8):
            yield b"x" * 256

    response = shared.client.post(
        "/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "body_too_large")


def test_a_body_at_the_limit_is_read(shared: Api) -> None:
    """A body of exactly max_body_bytes is accepted and validated as usual."""
    padded = b'{"username": "root", "password": "' + PASSWORD.encode() + b'"}'
    padded = padded[:-1] + b" " * (LIMIT - len(padded)) + b"}"
    assert len(padded) == LIMIT
    response = shared.client.post("/auth/login", content=padded, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"username": "root", ', "application/json"),
        (b"\xff\xfe{}", "application/json"),
        (b"[" * 1000 + b"]" * 1000, "application/json"),
        (b'"just a string"', "application/json"),
        (b"[]", "application/json"),
        (b"null", "application/json"),
        (b'{"username": "root", "password": "x"}', "text/plain"),
        (b"username=root&password=x", "application/x-www-form-urlencoded"),
    ],
    ids=["truncated", "not utf-8", "deeply nested", "string", "array", "null", "text/plain", "form"],
)
def test_malformed_bodies_are_4xx_problems(shared: Api, content: bytes, content_type: str) -> None:
    """Malformed or non-JSON bodies are a 4xx problem document, never a 500."""
    response = shared.client.post("/auth/login", content=content, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code, response.json()["code"])


def test_malformed_json_is_refused_before_authentication(shared: Api) -> None:
    """Malformed JSON is 422 ``invalid_request`` even on an admin route without credentials: FastAPI parses
    the body before it runs any dependency."""
    response = shared.client.post(
        "/admin/licenses", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "invalid_request")


def test_unknown_route_is_a_404_problem(shared: Api) -> None:
    """A path no route serves is 404 ``not_found``."""
    body = assert_problem(shared.client.get("/admin/nothing-here"), 404, "not_found")
    assert body["instance"] == "/admin/nothing-here"


def test_wrong_method_is_a_405_problem(shared: Api) -> None:
    """A known path with a method it does not serve is 405 ``method_not_allowed`` with an Allow header."""
    response = shared.client.put("/auth/login", json={})
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


def test_malformed_path_ids_are_422(shared: Api) -> None:
    """A path id that is not a UUID is 422 ``invalid_request`` (for an admin), not a 404 or a 500."""
    response = shared.client.get("/admin/users/not-a-uuid", headers=admin(shared))
    body = assert_problem(response, 422, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["account_id"]


def test_invalid_input_from_the_domain_is_422(shared: Api) -> None:
    """A value the domain refuses (a username with a space, a license of 0 days) is 422 ``invalid_input``."""
    headers = admin(shared)
    bad_name = shared.client.post(
        "/admin/users", json={"username": "a b", "password": PASSWORD}, headers=headers
    )
    assert_problem(bad_name, 422, "invalid_input")
    no_days = shared.client.post("/admin/licenses", json={"days": 0}, headers=headers)
    assert_problem(no_days, 422, "invalid_input")
    admin_tier = shared.client.post("/admin/licenses", json={"days": 1, "tier": "admin"}, headers=headers)
    assert_problem(admin_tier, 422, "invalid_input")


def test_missing_objects_are_404(shared: Api) -> None:
    """An id or a well-formed key that names nothing is 404 ``not_found`` (a mistyped key is 422)."""
    missing = shared.client.get("/admin/users/00000000-0000-4000-8000-000000000000", headers=admin(shared))
    assert_problem(missing, 404, "not_found")
    bearer = Api.bearer(shared.client_login("root"))
    never_issued = license_keys.generate(lambda n: b"\x01" * n)
    unknown = shared.client.post("/client/licenses/activate", json={"key": never_issued}, headers=bearer)
    assert_problem(unknown, 404, "not_found")
    mistyped = shared.client.post("/client/licenses/activate", json={"key": "A" * 25}, headers=bearer)
    assert_problem(mistyped, 422, "invalid_input")


def test_username_taken_is_409(shared: Api) -> None:
    """Creating an account under a taken username (any letter case) is 409 ``username_taken``."""
    response = shared.client.post(
        "/admin/users", json={"username": "ROOT", "password": PASSWORD}, headers=admin(shared)
    )
    assert_problem(response, 409, "username_taken")


def test_device_limit_reached_is_409(lite: Api) -> None:
    """A login from a new device with every slot taken is 409 ``device_limit_reached``."""
    lite.create_account("carol")
    lite.client_login("carol")
    other = dict.fromkeys(COMPONENTS, "ff" * 16)
    response = lite.client.post(
        "/auth/client/login",
        json={"username": "carol", "password": PASSWORD, "fingerprint": {"components": other}},
    )
    assert_problem(response, 409, "device_limit_reached")


def test_license_already_activated_is_409(lite: Api) -> None:
    """A key already activated (on this account or another) is 409 ``license_already_activated``."""
    _, key = issue_key(lite)
    for name in ("carol", "dave"):
        lite.create_account(name)
    carol, dave = Api.bearer(lite.client_login("carol")), Api.bearer(lite.client_login("dave"))
    assert lite.client.post("/client/licenses/activate", json={"key": key}, headers=carol).status_code == 200
    again = lite.client.post("/client/licenses/activate", json={"key": key}, headers=carol)
    assert_problem(again, 409, "license_already_activated")
    stolen = lite.client.post("/client/licenses/activate", json={"key": key}, headers=dave)
    assert_problem(stolen, 409, "license_already_activated")


def test_state_conflicts_are_409(shared: Api) -> None:
    """A command the object's state forbids (unban an account that is not banned) is 409 ``conflict``."""
    root = shared.ledger.account_id_for("root")
    response = shared.client.post(f"/admin/users/{root}/unban", json={}, headers=admin(shared))
    assert_problem(response, 409, "conflict")


def test_failed_authentication_is_401(shared: Api) -> None:
    """Wrong credentials are 401 ``invalid_credentials``; a missing or forged bearer token is 401 with a
    WWW-Authenticate challenge."""
    wrong = shared.client.post("/auth/login", json={"username": "root", "password": "wrong password"})
    assert_problem(wrong, 401, "invalid_credentials")
    missing = shared.client.get("/client/license")
    assert_problem(missing, 401, "missing_token")
    forged = shared.client.get("/client/license", headers={"Authorization": "Bearer a.b.c"})
    assert_problem(forged, 401, "invalid_token")
    assert forged.headers["www-authenticate"].startswith("Bearer")


def test_unexpected_errors_are_a_500_problem_without_details(lite: Api) -> None:
    """An unexpected exception is 500 ``internal_error`` and its message stays in the server log."""

    def broken() -> None:
        raise RuntimeError("secret detail")

    app = lite.client.app
    app.dependency_overrides[services] = broken  # type: ignore[attr-defined]
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    response = client.get("/readyz")
    assert_problem(response, 500, "internal_error")
    assert "secret detail" not in response.text


EXPECTED_STATUS = {
    domain.ConcurrencyExhausted: 503,
    domain.InvalidInput: 422,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.AuthenticationFailed: 401,
    domain.NotEntitled: 403,
    domain.Gone: 410,
    domain.DomainError: 400,
}


def expected_status(cls: type[domain.DomainError]) -> int:
    return next(status for base, status in EXPECTED_STATUS.items() if issubclass(cls, base))


@pytest.mark.parametrize(
    "cls",
    [c for _, c in inspect.getmembers(domain, inspect.isclass) if issubclass(c, domain.DomainError)],
    ids=lambda c: c.__name__,
)
def test_every_domain_error_has_its_status(cls: type[domain.DomainError]) -> None:
    """Each domain error maps to the status of its branch of the tree (a conflict from exhausted retries
    is 503, to be retried), and its code is stable snake_case."""
    error = cls.__new__(cls)
    assert status_of(error) == expected_status(cls)
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", cls.code)
