"""Bad input never gives a 500: every operation in the OpenAPI document is fuzzed with Schemathesis (data
that fits the schema and data that does not), as the principal the route is for."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode, Response
from schemathesis.core.result import Ok
from schemathesis.python.asgi import ASGIClient
from schemathesis.schemas import APIOperation

from api.cookies import cookie_name
from domain.roles import Role
from tests.api.harness import Api, licensed_client, services_of
from tests.api.test_crash_reports import crash_body
from tests.releases.harness import admin, device, granted, published

Operation = APIOperation[Any, Any, Any, Any]
BASE_URL = "https://testserver"
EXAMPLES = 12
PUBLIC = {"/healthz", "/readyz", "/metrics", "/auth/login", "/auth/client/login", "/auth/refresh"}
# Logging out mid-run would leave the rest of the run unauthenticated (and these take no input anyway).
SKIPPED = {("POST", "/auth/logout"), ("POST", "/auth/client/logout")}
# Event streams never end: the client cuts them after this long (a 200 has started streaming by then),
# so they get fewer examples.
STREAMS = {"/dashboard/stream"}
STREAM_CUT_S = 1.5  # long enough for the first bytes on a loaded 2-core machine
STREAM_EXAMPLES = 4


def principal_of(path: str) -> str:
    """Who a route is for: the public, the desktop client, or (everything else) the admin."""
    if path in PUBLIC or path.startswith(("/.well-known/", "/ledger/")):
        return "anonymous"
    if path.startswith("/client/"):
        return "client"
    return "admin"


def credentials(api: Api) -> dict[str, dict[str, Any]]:
    """Keyword arguments for ``Case.call`` per principal, and the ids of real entities to aim at."""
    tokens = licensed_client(api, "carol", device_limit=2)
    downloader = device(api, "dora")
    api.create_account("root", Role.ADMIN)
    release = published(api, admin(api, "publisher"), {"app.bin": b"fuzz" * 100})
    answer = granted(api, downloader, release)
    csrf = api.web_login("root")
    name = cookie_name(services_of(api).web)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    crash = api.client.post("/client/crash-reports", json=crash_body(), headers=bearer).json()
    return {
        "anonymous": {},
        "client": {"headers": downloader.headers},
        "admin": {"headers": csrf, "cookies": {name: api.client.cookies[name]}},
        "ids": {
            "account_id": str(api.ledger.account_id_for("carol")),
            "aggregate_id": str(api.ledger.account_id_for("carol")),
            "license_id": tokens["license_id"],
            "device_id": tokens["device_id"],
            "session_id": tokens["session_id"],
            "crash_id": crash["id"],
            "release_id": release["id"],
            "file_id": answer["file_id"],
            "grant_id": answer["grant_id"],
        },
    }


def check(case: Case[Operation], response: Response) -> None:
    if response.status_code < 400:
        return
    where = f"{response.status_code} {response.text[:500]}\n{case.as_curl_command()}"
    assert response.status_code < 500, where
    assert response.headers["content-type"] == ["application/problem+json"], where
    body = response.json()
    assert body["status"] == response.status_code, where
    assert isinstance(body["code"], str), where
    assert body["code"], where


def fuzz(operation: Operation, client: ASGIClient, call: dict[str, Any], ids: dict[str, str]) -> None:
    """Valid and invalid requests to one operation, then valid ones aimed at real entities."""
    fixed: dict[str, Any] = {}
    if any(p.name == "position" for p in operation.query):
        fixed["query"] = {"position": 0}  # a position past the log's end waits 5 s for the read models
    runs = [(GenerationMode.POSITIVE, fixed), (GenerationMode.NEGATIVE, fixed)]
    real = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}
    if real:
        runs.append((GenerationMode.POSITIVE, {**fixed, "path_parameters": real}))
    examples = EXAMPLES
    if operation.path in STREAMS:
        call, examples = {**call, "timeout": STREAM_CUT_S}, STREAM_EXAMPLES
    for mode, given_values in runs:

        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode, **given_values))
        def run(case: Case[Operation]) -> None:
            check(case, case.call(base_url=BASE_URL, session=client, **call))

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation with no free input to make invalid


@pytest.mark.timeout(120)
def test_no_input_gives_a_server_error(api: Api) -> None:
    """Generated requests to every operation, valid or not, as its principal, answer below 500 and every
    4xx is an application/problem+json body with a code."""
    app = api.client.app
    assert isinstance(app, FastAPI)
    schema = schemathesis.openapi.from_dict(app.openapi())
    client = ASGIClient(cast(Any, app))
    principals = credentials(api)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) > 20
    failures: list[str] = []
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        try:
            fuzz(operation, client, principals[principal_of(operation.path)], principals["ids"])
        except Exception as error:  # every operation is fuzzed; the failures are reported together
            notes = "\n".join(getattr(error, "__notes__", []))
            failures.append(f"{operation.method.upper()} {operation.path}: {error!r}\n{notes}")
    assert not failures, "\n\n".join(failures)


# Inputs that pass the schema's checks yet reach code that cannot take them (found while fuzzing).
EDGE_CASES = [
    pytest.param(
        "POST",
        "/admin/users/{account_id}/ban",
        {"reason": "edge", "until": "2030-01-01T00:00:00"},
        {},
        id="ban-until-without-utc-offset",
    ),
    pytest.param(
        "POST",
        "/admin/ip-blocks",
        {"address": "198.51.100.0/24", "reason": "edge", "until": "2030-01-01T00:00:00"},
        {},
        id="block-until-without-utc-offset",
    ),
    pytest.param(
        "GET", "/dashboard/stream", None, {"Last-Event-ID": "\u00b2"}, id="last-event-id-superscript-two"
    ),
    pytest.param("GET", f"/dashboard/activity?before={2**63}", None, {}, id="before-past-64-bits"),
    pytest.param("GET", f"/audit/events?cursor={2**63}", None, {}, id="cursor-past-64-bits"),
    pytest.param(
        "GET", "/audit/events?since=0001-01-01T00:00:00%2B14:00", None, {}, id="since-before-year-1-utc"
    ),
    pytest.param(
        "GET", "/audit/events?until=9999-12-31T23:59:59-14:00", None, {}, id="until-after-year-9999-utc"
    ),
    pytest.param("GET", "/admin/users?search=%00", None, {}, id="user-search-nul"),
    pytest.param("POST", "/admin/licenses", {"days": 30, "note": "\ud800"}, {}, id="note-lone-surrogate"),
    pytest.param(
        "POST", "/admin/users", {"username": "x\udfff", "password": "p" * 12}, {}, id="name-surrogate"
    ),
    pytest.param("GET", "/admin/users?cursor=W3t9LHt9XQ", None, {}, id="cursor-two-objects"),
    pytest.param("GET", "/admin/licenses?cursor=WzFlOTk5LDFd", None, {}, id="cursor-infinite-float"),
    pytest.param("GET", "/ui/users?cursor=W3t9LHt9XQ", None, {}, id="ui-cursor-two-objects"),
    pytest.param("GET", "/ui/licenses?cursor=WzFlOTk5LDFd", None, {}, id="ui-cursor-infinite-float"),
    pytest.param(
        "GET", "/dashboard/stream", None, {"Last-Event-ID": "9" * 20}, id="last-event-id-twenty-digits"
    ),
    pytest.param("GET", "/admin/devices?search=%00", None, {}, id="device-search-nul"),
    pytest.param("GET", "/audit/events?actor=%00", None, {}, id="audit-actor-nul"),
]
# Writes the schema lets through whose events a projection cannot store (an end past year 9999 once in
# UTC; a NUL character, which PostgreSQL text refuses): such an event would stall every read model.
FAR_END = "9999-12-31T23:59:59-14:00"
POISON_CANDIDATES = [
    pytest.param(
        "/admin/users/{account_id}/ban", {"reason": "edge", "until": FAR_END}, id="ban-until-far-end"
    ),
    pytest.param(
        "/admin/ip-blocks",
        {"address": "198.51.100.9", "reason": "edge", "until": FAR_END},
        id="block-until-far-end",
    ),
    pytest.param("/admin/users/{account_id}/ban", {"reason": "nul \u0000 here"}, id="ban-reason-nul"),
    pytest.param(
        "/admin/ip-blocks", {"address": "198.51.100.9", "reason": "nul \u0000"}, id="block-reason-nul"
    ),
    pytest.param("/admin/licenses", {"days": 30, "note": "nul \u0000 here"}, id="license-note-nul"),
]
PROJECTION_WAIT_S = 3.0


@pytest.mark.parametrize(("method", "path", "body", "headers"), EDGE_CASES)
def test_edge_input_gives_no_server_error(
    api: Api, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> None:
    """Inputs the schema lets through (a time without offset or out of range in UTC, an integer past 64
    bits, a digit that is not ASCII, a NUL character) are refused or ignored, never a 500."""
    app = api.client.app
    assert isinstance(app, FastAPI)
    admin = credentials(api)["admin"]
    url = BASE_URL + path.format(account_id=api.ledger.account_id_for("carol"))
    response = ASGIClient(cast(Any, app)).request(
        method,
        url,
        json=body,
        headers={**admin["headers"], **headers},
        cookies=admin["cookies"],
        timeout=STREAM_CUT_S if path in STREAMS else None,
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("path", "body"), POISON_CANDIDATES)
def test_accepted_write_never_stalls_the_read_models(api: Api, path: str, body: dict[str, Any]) -> None:
    """A write the API accepts is one the read models can project: they reach its position (an input no
    projection can store is refused up front instead)."""
    admin = credentials(api)["admin"]
    url = path.format(account_id=api.ledger.account_id_for("carol"))
    written = api.client.post(url, json=body, headers=admin["headers"])
    assert written.status_code < 500, written.text
    if written.status_code >= 400:
        return
    reads, deadline = services_of(api).reads, time.monotonic() + PROJECTION_WAIT_S
    while reads.position() < written.json()["position"]:
        assert time.monotonic() < deadline, (
            f"the read models stalled before position {written.json()['position']}"
        )
        time.sleep(0.02)
