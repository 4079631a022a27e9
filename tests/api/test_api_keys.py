"""API keys: machines call the admin API with ``Authorization: Bearer kl_live_...`` (no cookie, no CSRF),
each route needs its scope, a revoked key fails on its next request, and the key is the actor."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.scopes import scope_for
from domain.api_key import Scope
from domain.context import AuditContext
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, web_session
from tests.api.test_authorization_matrix import (
    BODIES,
    HOOK_SETTINGS,
    MISSING,
    ROWS,
    STREAMS,
    TARGETS,
    World,
    build_world,
    first_response,
)

ADMIN_ROUTES = [
    route
    for route, (auth, expect) in ROWS.items()
    if auth == "cookie" and expect.get("user") == 403 and not route[1].startswith("/ui")
]
KEY_ROUTES = [r for r in ADMIN_ROUTES if not r[1].startswith("/admin/api-keys")]


def key_for(api: Api, *scopes: str, **extra: Any) -> dict[str, str]:
    token = api.ledger.create_api_key("test", list(scopes), None, api.clock(), AuditContext("test")).value
    return {"Authorization": f"Bearer {token.token}", **extra}


@pytest.fixture
def api(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now) as running:
        yield running


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from tests.conftest import NOW  # noqa: PLC0415 -- the shared clock of the suite

    with sqlite_api(tmp_path_factory.mktemp("scopes"), NOW, **HOOK_SETTINGS) as running:
        yield build_world(running)


def test_every_admin_route_names_its_scope() -> None:
    """Each admin JSON route maps to exactly one scope, except the API-key routes, which no key may call."""
    assert all(scope_for(*route) is not None for route in KEY_ROUTES)
    assert all(scope_for(*route) is None for route in ADMIN_ROUTES if route not in KEY_ROUTES)


def request_route(
    world: World, route: tuple[str, str], headers: dict[str, str], missing: bool = False
) -> Any:
    method, template = route
    params = MISSING if missing else world.ids | {k: world.ids[v] for k, v in TARGETS.get(route, {}).items()}
    body = BODIES[route](world, "admin") if route in BODIES else None
    world.api.client.cookies.clear()
    if route in STREAMS:
        return asyncio.run(first_response(world.api.client.app, method, template, headers))
    return world.api.client.request(method, template.format(**params), json=body, headers=headers)


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=" ".join)
def test_scope_matrix(world: World, route: tuple[str, str]) -> None:
    """A key holding every scope but the route's gets 403 ``insufficient_scope``; one holding just that
    scope gets past authorization (the admin's answer for a missing id: 404, or success)."""
    needed = scope_for(*route)
    others = [s.value for s in Scope if s is not needed]
    refused = request_route(world, route, key_for(world.api, *others))
    assert refused.status_code == 403
    assert route in STREAMS or refused.json()["code"] == "insufficient_scope"
    if needed is None:
        return
    allowed = request_route(
        world, route, key_for(world.api, needed.value), missing="missing" in ROWS[route][1]
    )
    assert allowed.status_code not in (401, 403), allowed.text


def test_a_key_calls_without_cookie_or_csrf_and_is_the_actor(api: Api) -> None:
    """A script issues licenses with its key alone; the events name the key as their actor."""
    headers = key_for(api, "licenses:write", "audit:read")
    issued = api.client.post("/admin/licenses", json={"days": 30, "count": 2}, headers=headers)
    assert issued.status_code == 201, issued.text
    key_id = uuid.UUID(hex=headers["Authorization"].split("_")[2])
    found = api.client.get(
        "/audit/events",
        params={"event_type": "License.Issued", "position": issued.json()["position"]},
        headers=headers,
    )
    actors = {e["context"]["actor"] for e in found.json()["events"]}
    assert actors == {f"api-key:{key_id}"}


def test_a_revoked_key_is_refused_on_its_next_request(api: Api) -> None:
    """Revocation holds on the very next request, and the refused use is an event."""
    api.create_account("boss", Role.ADMIN)
    admin = web_session(api, "boss")
    created = api.client.post(
        "/admin/api-keys", json={"name": "crm", "scopes": ["users:read"]}, headers=admin
    ).json()
    bearer = {"Authorization": f"Bearer {created['token']}"}
    assert api.client.get("/admin/users", headers=bearer).status_code == 200
    revoked = api.client.post(f"/admin/api-keys/{created['key']['id']}/revoke", json={}, headers=admin)
    assert revoked.status_code == 200
    refused = api.client.get("/admin/users", headers=bearer)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_api_key")
    key = api.ledger.api_key(uuid.UUID(created["key"]["id"]))
    assert key.refusal_noted_at == api.clock()


def test_a_wrong_secret_or_expired_key_is_refused(api: Api) -> None:
    """A key with a changed secret, or past its expiry, is 401 like an unknown one."""
    headers = key_for(api, "users:read")
    forged = headers["Authorization"][:-4] + "AAAA"
    assert api.client.get("/admin/users", headers={"Authorization": forged}).status_code == 401
    later = api.ledger.create_api_key(
        "short", ["users:read"], api.clock() + timedelta(hours=1), api.clock(), AuditContext("test")
    ).value
    api.clock.advance(hours=2)
    response = api.client.get("/admin/users", headers={"Authorization": f"Bearer {later.token}"})
    assert response.status_code == 401


def test_last_use_is_listed(api: Api) -> None:
    """The key list shows when each key was last used, never its secret."""
    api.create_account("boss", Role.ADMIN)
    admin = web_session(api, "boss")
    headers = key_for(api, "users:read")
    api.client.get("/admin/users", headers=headers)
    listed = api.client.get("/admin/api-keys", headers=admin).json()["items"]
    assert [item["last_used_at"] for item in listed] == [api.clock().isoformat()]
    assert "secret_digest" not in listed[0]
