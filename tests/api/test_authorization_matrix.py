"""The authorization matrix: every route of the OpenAPI document x every kind of caller → its status.

A route without a row (or a row without a route) fails ``test_every_route_has_a_row``. Callers
authenticate the way the route expects: ``cookie`` routes get the web session cookie and its
``X-CSRF-Token``; ``bearer`` routes a desktop access token from /auth/client/login; ``login`` routes
take the caller's own username and password in the body; ``refresh`` takes the caller's refresh token in
the body; ``witness`` routes (the ledger's checkpoint and proofs: every client is a witness) take a
desktop bearer token or an admin's cookie; ``public`` routes get the caller's cookie, which they ignore.

Callers (run in this order, so that the admin's successful writes come last):
  anonymous  no credentials (``login``: a username nobody has; ``refresh``: a well-formed token of no
             session).
  bad_body   anonymous, with an unknown field in an otherwise valid body: shows the real order of checks.
             FastAPI resolves ``Depends`` parameters before it validates the body, so a route whose caller
             is a dependency answers 401 ahead of the 422. /client/heartbeat authenticates inside its
             handler, so its body is validated first (422). Malformed JSON is parsed before any
             dependency runs: 422 on every route (see test_problems.py). Path parameters are validated
             with the body, after the dependencies: an anonymous GET /admin/users/not-a-uuid is 401.
  user, vip  a live account of that role; admin routes refuse them with 403 whether or not the id exists.
  banned     an account that logged in (web and desktop) and was then banned: its sessions are closed.
  other      reaching for what belongs to someone else: the admin's cookie with another session's CSRF
             token (cookie writes); another account's activated license key (activate); a non-admin's
             web cookie instead of its bearer token (witness routes).
  missing    the admin, on ids that name nothing (admin routes with a path id; on desktop routes its own
             desktop client): 404. A grant is read only by the device it was made for (vip, admin: 404).
  admin      a live admin.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx2
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.http import ROUTERS
from domain.alert import AlertKind
from domain.context import AuditContext
from domain.crash_report import Reporter
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import COMPONENTS, PASSWORD, Api, services_of, web_session
from tests.api.test_crash_reports import crash_body
from tests.domain.test_crash_report import DETAILS

CALLERS = ("anonymous", "bad_body", "user", "vip", "banned", "other", "missing", "admin")

TABLE = """
method path                                     auth    anonymous bad_body user vip banned other missing admin
GET    /healthz                                 public  200       -        200  200 200    -     -       200
GET    /                                        public  303       -        303  303 303    -     -       303
GET    /readyz                                  public  200       -        200  200 200    -     -       200
GET    /.well-known/jwks.json                   public  200       -        200  200 200    -     -       200
GET    /.well-known/keyledger-keys.jws          public  200       -        200  200 200    -     -       200
GET    /metrics                                 public  403       -        403  403 403    -     -       403
POST   /auth/login                              login   401       422      200  200 401    -     -       200
POST   /auth/logout                             cookie  401       -        200  200 401    403   -       200
GET    /auth/me                                 cookie  401       -        200  200 401    -     -       200
POST   /auth/client/login                       login   401       422      200  200 401    -     -       200
POST   /auth/refresh                            refresh 401       422      200  200 401    -     -       200
POST   /auth/client/logout                      bearer  401       -        200  200 401    -     -       200
POST   /client/licenses/activate                bearer  401       401      200  200 401    409   -       200
GET    /client/license                          bearer  401       -        200  200 401    -     -       200
GET    /client/devices                          bearer  401       -        200  200 401    -     -       200
POST   /client/heartbeat                        bearer  401       422      200  200 401    -     -       200
POST   /client/crash-reports                    bearer  401       401      201  201 401    -     -       201
GET    /client/releases                         bearer  401       -        200  200 401    -     -       200
GET    /client/releases/{release_id}            bearer  401       -        200  200 401    -     404     200
POST   /client/releases/{release_id}/files/{file_id}/grants bearer 401 - 201 201 401 - 404 201
GET    /client/releases/{release_id}/files/{file_id}/grants/{grant_id} bearer 401 - 200 404 401 - 404 404
GET    /admin/users                             cookie  401       -        403  403 401    -     -       200
POST   /admin/users                             cookie  401       401      403  403 401    403   -       201
GET    /admin/users/{account_id}                cookie  401       -        403  403 401    -     404     200
PATCH  /admin/users/{account_id}                cookie  401       401      403  403 401    403   404     200
POST   /admin/users/{account_id}/ban            cookie  401       401      403  403 401    403   404     200
POST   /admin/users/{account_id}/unban          cookie  401       401      403  403 401    403   404     200
POST   /admin/users/{account_id}/password       cookie  401       401      403  403 401    403   404     200
GET    /admin/licenses                          cookie  401       -        403  403 401    -     -       200
POST   /admin/licenses                          cookie  401       401      403  403 401    403   -       201
GET    /admin/licenses/{license_id}             cookie  401       -        403  403 401    -     404     200
POST   /admin/licenses/{license_id}/suspend     cookie  401       401      403  403 401    403   404     200
POST   /admin/licenses/{license_id}/reinstate   cookie  401       401      403  403 401    403   404     200
POST   /admin/licenses/{license_id}/revoke      cookie  401       401      403  403 401    403   404     200
POST   /admin/licenses/{license_id}/extend      cookie  401       401      403  403 401    403   404     200
GET    /admin/devices                           cookie  401       -        403  403 401    -     -       200
GET    /admin/devices/{device_id}               cookie  401       -        403  403 401    -     404     200
PATCH  /admin/devices/{device_id}               cookie  401       401      403  403 401    403   404     200
POST   /admin/devices/{device_id}/release       cookie  401       401      403  403 401    403   404     200
GET    /admin/sessions                          cookie  401       -        403  403 401    -     -       200
GET    /admin/sessions/{session_id}             cookie  401       -        403  403 401    -     404     200
POST   /admin/sessions/{session_id}/revoke      cookie  401       401      403  403 401    403   404     200
GET    /admin/ip-blocks                         cookie  401       -        403  403 401    -     -       200
POST   /admin/ip-blocks                         cookie  401       401      403  403 401    403   -       201
DELETE /admin/ip-blocks/{ip}                    cookie  401       -        403  403 401    403   404     200
GET    /admin/api-keys                          cookie  401       -        403  403 401    -     -       200
POST   /admin/api-keys                          cookie  401       401      403  403 401    403   -       201
GET    /admin/api-keys/{key_id}                 cookie  401       -        403  403 401    -     404     200
POST   /admin/api-keys/{key_id}/revoke          cookie  401       401      403  403 401    403   404     200
POST   /admin/users/{account_id}/grants         cookie  401       401      403  403 401    403   404     201
POST   /admin/users/{account_id}/erase          cookie  401       401      403  403 401    403   404     200
GET    /admin/users/{account_id}/personal-data  cookie  401       -        403  403 401    -     404     200
GET    /admin/webhooks                          cookie  401       -        403  403 401    -     -       200
POST   /admin/webhooks                          cookie  401       401      403  403 401    403   -       201
GET    /admin/webhooks/{endpoint_id}            cookie  401       -        403  403 401    -     404     200
PATCH  /admin/webhooks/{endpoint_id}            cookie  401       401      403  403 401    403   404     200
DELETE /admin/webhooks/{endpoint_id}            cookie  401       -        403  403 401    403   404     200
POST   /admin/webhooks/{endpoint_id}/rotate-secret cookie 401     401      403  403 401    403   404     200
POST   /admin/webhooks/{endpoint_id}/disable    cookie  401       401      403  403 401    403   404     200
POST   /admin/webhooks/{endpoint_id}/enable     cookie  401       401      403  403 401    403   404     200
GET    /admin/webhooks/{endpoint_id}/deliveries cookie  401       -        403  403 401    -     404     200
POST   /admin/webhooks/{endpoint_id}/deliveries/{position}/resend cookie 401 401 403 403 401 403 404 200
GET    /admin/alerts                            cookie  401       -        403  403 401    -     -       200
POST   /admin/alerts/{alert_id}/acknowledge     cookie  401       401      403  403 401    403   404     200
GET    /admin/crash-reports                     cookie  401       -        403  403 401    -     -       200
GET    /admin/crash-reports/counts              cookie  401       -        403  403 401    -     -       200
GET    /admin/crash-reports/{crash_id}          cookie  401       -        403  403 401    -     404     200
GET    /admin/releases                          cookie  401       -        403  403 401    -     -       200
POST   /admin/releases                          cookie  401       401      403  403 401    403   -       201
POST   /admin/releases/upload                   cookie  401       401      403  403 401    403   -       201
GET    /admin/releases/{release_id}             cookie  401       -        403  403 401    -     404     200
GET    /admin/releases/{release_id}/downloads   cookie  401       -        403  403 401    -     404     200
POST   /admin/releases/{release_id}/withdraw    cookie  401       401      403  403 401    403   404     200
POST   /admin/releases/{release_id}/republish   cookie  401       401      403  403 401    403   404     200
GET    /dashboard/stats                         cookie  401       -        403  403 401    -     -       200
GET    /dashboard/activity                      cookie  401       -        403  403 401    -     -       200
GET    /dashboard/stream                        cookie  401       -        403  403 401    -     -       200
GET    /audit/events                            cookie  401       -        403  403 401    -     -       200
GET    /audit/aggregates/{aggregate_id}/history cookie  401       -        403  403 401    -     404     200
GET    /audit/aggregates/{aggregate_id}/state   cookie  401       -        403  403 401    -     404     200
GET    /ledger/public-key                       public  200       -        200  200 200    -     -       200
GET    /ledger/checkpoint                       witness 401       -        200  200 401    403   -       200
GET    /ledger/proofs/inclusion                 witness 401       -        200  200 401    403   -       200
GET    /ledger/proofs/consistency               witness 401       -        200  200 401    403   -       200
GET    /ledger/export                           cookie  401       -        403  403 401    -     -       200
GET    /ui/login                                public  200       -        200  200 200    -     -       200
POST   /ui/login                                public  200       -        200  200 200    -     -       200
POST   /ui/logout                               cookie  401       -        200  200 401    403   -       200
GET    /ui/language                             public  200       -        200  200 200    -     -       200
GET    /ui/                                     cookie  401       -        403  403 401    -     -       200
GET    /ui/cards                                cookie  401       -        403  403 401    -     -       200
GET    /ui/feed                                 cookie  401       -        403  403 401    -     -       200
GET    /ui/users                                cookie  401       -        403  403 401    -     -       200
POST   /ui/users                                cookie  401       -        403  403 401    403   -       200
GET    /ui/users/export.csv                     cookie  401       -        403  403 401    -     -       200
GET    /ui/users/{account_id}                   cookie  401       -        403  403 401    -     404     200
POST   /ui/users/{account_id}/ban               cookie  401       -        403  403 401    403   404     200
POST   /ui/users/{account_id}/erase             cookie  401       -        403  403 401    403   404     200
POST   /ui/users/{account_id}/unban             cookie  401       -        403  403 401    403   404     200
POST   /ui/users/{account_id}/password          cookie  401       -        403  403 401    403   404     200
POST   /ui/users/{account_id}/role              cookie  401       -        403  403 401    403   404     200
POST   /ui/users/{account_id}/device-limit      cookie  401       -        403  403 401    403   404     200
GET    /ui/licenses                             cookie  401       -        403  403 401    -     -       200
POST   /ui/licenses                             cookie  401       -        403  403 401    403   -       200
POST   /ui/licenses/keys.csv                    cookie  401       -        403  403 401    403   -       200
POST   /ui/licenses/{license_id}/extend         cookie  401       -        403  403 401    403   404     200
POST   /ui/licenses/{license_id}/suspend        cookie  401       -        403  403 401    403   404     200
POST   /ui/licenses/{license_id}/reinstate      cookie  401       -        403  403 401    403   404     200
POST   /ui/licenses/{license_id}/revoke         cookie  401       -        403  403 401    403   404     200
GET    /ui/devices                              cookie  401       -        403  403 401    -     -       200
POST   /ui/devices/{device_id}/rename           cookie  401       -        403  403 401    403   404     200
POST   /ui/devices/{device_id}/release          cookie  401       -        403  403 401    403   404     200
GET    /ui/releases                             cookie  401       -        403  403 401    -     -       200
POST   /ui/releases                             cookie  401       -        403  403 401    403   -       303
GET    /ui/releases/{release_id}                cookie  401       -        403  403 401    -     404     200
POST   /ui/releases/{release_id}/withdraw       cookie  401       -        403  403 401    403   404     200
POST   /ui/releases/{release_id}/republish      cookie  401       -        403  403 401    403   404     200
GET    /ui/sessions                             cookie  401       -        403  403 401    -     -       200
POST   /ui/sessions/{session_id}/revoke         cookie  401       -        403  403 401    403   404     200
GET    /ui/ip-blocks                            cookie  401       -        403  403 401    -     -       200
POST   /ui/ip-blocks                            cookie  401       -        403  403 401    403   -       200
POST   /ui/ip-blocks/unblock                    cookie  401       -        403  403 401    403   -       200
GET    /ui/crashes                              cookie  401       -        403  403 401    -     -       200
GET    /ui/crashes/{crash_id}                   cookie  401       -        403  403 401    -     404     200
GET    /ui/audit                                cookie  401       -        403  403 401    -     -       200
POST   /ui/users/{account_id}/grant             cookie  401       -        403  403 401    403   404     200
GET    /ui/api-keys                             cookie  401       -        403  403 401    -     -       200
POST   /ui/api-keys                             cookie  401       -        403  403 401    403   -       200
POST   /ui/api-keys/{key_id}/revoke             cookie  401       -        403  403 401    403   404     200
GET    /ui/webhooks                             cookie  401       -        403  403 401    -     -       200
POST   /ui/webhooks                             cookie  401       -        403  403 401    403   -       200
GET    /ui/webhooks/{endpoint_id}               cookie  401       -        403  403 401    -     404     200
POST   /ui/webhooks/{endpoint_id}/resend        cookie  401       -        403  403 401    403   404     200
POST   /ui/webhooks/{endpoint_id}/enable        cookie  401       -        403  403 401    403   404     200
POST   /ui/webhooks/{endpoint_id}/disable       cookie  401       -        403  403 401    403   404     200
POST   /ui/webhooks/{endpoint_id}/remove        cookie  401       -        403  403 401    403   404     200
POST   /ui/webhooks/{endpoint_id}/rotate-secret cookie  401       -        403  403 401    403   404     200
GET    /ui/alerts                               cookie  401       -        403  403 401    -     -       200
POST   /ui/alerts/{alert_id}/acknowledge        cookie  401       -        403  403 401    403   404     200
"""

Route = tuple[str, str]
Body = Callable[["World", str], dict[str, Any]]


def parse(table: str) -> dict[Route, tuple[str, dict[str, int]]]:
    """The table as route → (auth, caller → status); ``-`` marks a caller that means nothing there."""
    header, *lines = table.strip().splitlines()
    assert tuple(header.split()[3:]) == CALLERS
    rows: dict[Route, tuple[str, dict[str, int]]] = {}
    for line in lines:
        method, path, auth, *cells = line.split()
        assert len(cells) == len(CALLERS), line
        rows[method, path] = (auth, {c: int(s) for c, s in zip(CALLERS, cells, strict=True) if s != "-"})
    return rows


ROWS = parse(TABLE)
BLOCKED = "198.51.100.0/24"
# Webhooks in these worlds may call only a closed port on loopback, allowed explicitly (no traffic leaves).
HOOK = "http://127.0.0.1:9/hook"
HOOK_SETTINGS: dict[str, Any] = {"webhook_allow_networks": ["127.0.0.1/32"]}
CHECKPOINT_WAIT_S = 10.0
SHARED_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NAMES = ("user", "vip", "admin", "banned", "target", "outlaw", "erasable")
RELEASE_FORM = {"channel": "stable", "platform": "linux-x86_64", "version": "2.0.0"}
ROLES = {"vip": Role.VIP, "admin": Role.ADMIN}
DESKTOP = ("user", "vip", "admin", "banned", "target")
DEVICE_KEY = X25519PrivateKey.generate().public_key().public_bytes_raw().hex()


@dataclass
class World:
    """Accounts of every kind with their web sessions, desktop logins and unused keys, and the objects
    (ids) the admin routes act on, all owned by a ``target`` account (``outlaw`` is banned)."""

    api: Api
    web: dict[str, dict[str, str]]
    desktop: dict[str, dict[str, Any]]
    keys: dict[str, str]
    ids: dict[str, str]


def build_world(api: Api) -> World:
    now, ctx = api.clock(), AuditContext(actor="test", reason="matrix set-up")
    accounts = {name: api.create_account(name, ROLES.get(name, Role.USER)) for name in NAMES}
    web = {name: web_session(api, name) for name in ("user", "vip", "admin", "banned")}
    desktop = {name: api.client_login(name, public_key=DEVICE_KEY) for name in DESKTOP}
    issued = api.ledger.issue_licenses(7, 30, Role.USER, 1, "matrix", now, ctx).value
    for name, extra in zip(
        ("user", "vip", "admin"),
        api.ledger.issue_licenses(3, 30, Role.USER, 1, "", now, ctx).value,
        strict=True,
    ):
        api.ledger.activate_license(UUID(accounts[name]), extra.key, now, ctx)
    keys = {name: issued[i].key for i, name in enumerate(("user", "vip", "admin", "banned"))}
    keys["other"] = issued[4].key
    api.ledger.activate_license(UUID(accounts["target"]), issued[4].key, now, ctx)
    api.ledger.suspend_license(issued[6].license_id, now, ctx)
    api.ledger.block_ip(BLOCKED, None, now, ctx)
    key = api.ledger.create_api_key("matrix", ["users:read"], None, now, ctx).value
    hooks = [api.ledger.register_webhook(HOOK, ["Alert.*"], "", "sealed", now, ctx).value for _ in "ab"]
    api.ledger.disable_webhook(hooks[1], False, now, ctx)
    alert = api.ledger.digests.index_id("alert", f"ip_many_accounts|{BLOCKED}|{now.isoformat()}")
    api.ledger.raise_alert(AlertKind.IP_MANY_ACCOUNTS, BLOCKED, 9, now, now, ctx)
    for name in ("banned", "outlaw"):
        api.ledger.ban(UUID(accounts[name]), None, now, ctx)
    target = desktop["target"]
    reporter = Reporter(UUID(accounts["target"]), UUID(target["device_id"]), UUID(target["session_id"]))
    crash = api.ledger.report_crash(reporter, DETAILS, now, ctx).value
    ids = {
        "account_id": accounts["target"],
        "license_id": str(issued[5].license_id),
        "device_id": desktop["target"]["device_id"],
        "session_id": desktop["target"]["session_id"],
        "ip": BLOCKED,
        "aggregate_id": accounts["target"],
        "outlaw": accounts["outlaw"],
        "erasable": accounts["erasable"],
        "suspended": str(issued[6].license_id),
        "key_id": str(key.key_id),
        "endpoint_id": str(hooks[0]),
        "disabled_endpoint": str(hooks[1]),
        "position": "1",
        "alert_id": str(alert),
        "crash_id": str(crash),
        **releases(api, desktop["user"], ctx),
    }
    wait_for_checkpoint(api, web["admin"])
    return World(api, web, desktop, keys, ids)


def releases(api: Api, user: dict[str, Any], ctx: AuditContext) -> dict[str, str]:
    """A published release with one file, a withdrawn one, and a grant of the first to ``user``'s device."""
    files, now = services_of(api).releases.files, api.clock()
    made = []
    for version in ("1.0.0", "0.9.0"):
        stored = files.store(api.ledger.new_id(), "app.bin", [b"x" * 1000])
        made.append(
            api.ledger.publish_release(
                "main", "stable", "linux-x86_64", version, "", Role.USER, [stored], now, ctx
            )
        )
    api.ledger.withdraw_release(made[1].value, now, ctx)
    release = api.ledger.release(made[0].value)
    url = f"/client/releases/{release.id}/files/{release.files[0].file_id}/grants"
    answer = api.client.post(url, headers=Api.bearer(user))
    assert answer.status_code == 201, answer.text
    ids = {"release_id": release.id, "withdrawn": made[1].value, "file_id": release.files[0].file_id}
    return {**{k: str(v) for k, v in ids.items()}, "grant_id": answer.json()["grant_id"]}


def wait_for_checkpoint(api: Api, admin: dict[str, str]) -> None:
    """Waits (at most CHECKPOINT_WAIT_S) until the background sealer and notary have signed a checkpoint."""
    deadline = time.monotonic() + CHECKPOINT_WAIT_S
    while api.client.get("/ledger/checkpoint", headers=admin).status_code != 200:
        assert time.monotonic() < deadline, "no checkpoint was signed"
        time.sleep(0.02)


def login_body(_: World, caller: str) -> dict[str, Any]:
    return {"username": "nobody" if caller in ("anonymous", "bad_body") else caller, "password": PASSWORD}


def client_login_body(world: World, caller: str) -> dict[str, Any]:
    return {**login_body(world, caller), "fingerprint": {"components": COMPONENTS}, "client_version": "1"}


def refresh_body(world: World, caller: str) -> dict[str, Any]:
    unknown = f"{uuid.uuid4().hex}.{'x' * 43}"
    return {"refresh_token": world.desktop[caller]["refresh_token"] if caller in world.desktop else unknown}


def fixed(body: dict[str, Any]) -> Body:
    return lambda _world, _caller: body


BODIES: dict[Route, Body] = {
    ("POST", "/auth/login"): login_body,
    ("POST", "/auth/client/login"): client_login_body,
    ("POST", "/auth/refresh"): refresh_body,
    ("POST", "/client/licenses/activate"): lambda w, c: {"key": w.keys.get(c, "KL-NONE")},
    ("POST", "/client/heartbeat"): fixed({"client_version": "1.0.0"}),
    ("POST", "/client/crash-reports"): lambda _w, _c: crash_body(
        report_id="6f1c2a4e-0b1d-4c53-9a8e-2f0f6c1d7e90"
    ),
    ("POST", "/admin/users"): lambda _w, c: {"username": f"made_by_{c}", "password": PASSWORD},
    ("PATCH", "/admin/users/{account_id}"): fixed({"device_limit": 3}),
    ("POST", "/admin/users/{account_id}/ban"): fixed({"reason": "chargeback"}),
    ("POST", "/admin/users/{account_id}/unban"): fixed({"reason": "appeal upheld"}),
    ("POST", "/admin/users/{account_id}/password"): fixed({"password": "a brand new password"}),
    ("POST", "/admin/licenses"): fixed({"days": 30}),
    ("POST", "/admin/licenses/{license_id}/suspend"): fixed({}),
    ("POST", "/admin/licenses/{license_id}/reinstate"): fixed({}),
    ("POST", "/admin/licenses/{license_id}/revoke"): fixed({}),
    ("POST", "/admin/licenses/{license_id}/extend"): fixed({"days": 5}),
    ("PATCH", "/admin/devices/{device_id}"): fixed({"nickname": "renamed"}),
    ("POST", "/admin/devices/{device_id}/release"): fixed({}),
    ("POST", "/admin/sessions/{session_id}/revoke"): fixed({}),
    ("POST", "/admin/ip-blocks"): fixed({"address": "192.0.2.0/24", "reason": "abuse"}),
    ("POST", "/admin/api-keys"): fixed({"name": "store", "scopes": ["licenses:write"]}),
    ("POST", "/admin/api-keys/{key_id}/revoke"): fixed({}),
    ("POST", "/admin/users/{account_id}/grants"): fixed({"days": 30, "tier": "vip", "device_limit": 2}),
    ("POST", "/admin/users/{account_id}/erase"): fixed({"reason": "art. 17", "confirm_username": "erasable"}),
    ("POST", "/admin/webhooks"): fixed({"url": HOOK, "event_types": ["License.*"]}),
    ("PATCH", "/admin/webhooks/{endpoint_id}"): fixed({"event_types": ["Account.Banned"]}),
    ("POST", "/admin/webhooks/{endpoint_id}/rotate-secret"): fixed({}),
    ("POST", "/admin/webhooks/{endpoint_id}/disable"): fixed({}),
    ("POST", "/admin/webhooks/{endpoint_id}/enable"): fixed({}),
    ("POST", "/admin/webhooks/{endpoint_id}/deliveries/{position}/resend"): fixed({}),
    ("POST", "/admin/alerts/{alert_id}/acknowledge"): fixed({}),
    ("POST", "/admin/releases"): fixed(RELEASE_FORM),
    ("POST", "/admin/releases/upload"): fixed({}),
    ("POST", "/admin/releases/{release_id}/withdraw"): fixed({"reason": "a broken build"}),
    ("POST", "/admin/releases/{release_id}/republish"): fixed({}),
}
# Routes whose body is not JSON: how it is sent (the ``bad_body`` caller adds an unknown form field).
FORMS: dict[Route, Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("POST", "/admin/releases"): lambda fields: {
        "data": fields,
        "files": [("file", ("app.bin", b"x" * 100))],
    },
    ("POST", "/admin/releases/upload"): lambda _: {
        "content": b"x" * 100,
        "headers": {"Content-Type": "application/octet-stream"},
    },
    ("POST", "/ui/releases"): lambda _: {"data": RELEASE_FORM, "files": [("file", ("app.bin", b"x" * 100))]},
}
# Routes that need their object in another state than the default one in World.ids: path parameter →
# the World.ids entry to use instead.
TARGETS: dict[Route, dict[str, str]] = {
    ("POST", "/admin/users/{account_id}/unban"): {"account_id": "outlaw"},
    ("POST", "/admin/users/{account_id}/erase"): {"account_id": "erasable"},
    ("POST", "/admin/licenses/{license_id}/reinstate"): {"license_id": "suspended"},
    ("POST", "/admin/webhooks/{endpoint_id}/enable"): {"endpoint_id": "disabled_endpoint"},
    ("POST", "/ui/webhooks/{endpoint_id}/enable"): {"endpoint_id": "disabled_endpoint"},
    ("POST", "/admin/releases/{release_id}/republish"): {"release_id": "withdrawn"},
    ("POST", "/ui/releases/{release_id}/republish"): {"release_id": "withdrawn"},
}
# Required query parameters, valid for the world (its ledger has sealed at least one leaf).
QUERIES: dict[Route, Callable[[World], dict[str, str]]] = {
    ("GET", "/ledger/proofs/inclusion"): lambda _w: {"index": "0", "tree_size": "1"},
    ("GET", "/ui/feed"): lambda _w: {"position": "1"},
    ("GET", "/ledger/proofs/consistency"): lambda _w: {"first": "1", "second": "1"},
    ("GET", "/audit/aggregates/{aggregate_id}/state"): lambda w: {"at": w.api.clock().isoformat()},
    ("POST", "/admin/releases/upload"): lambda _w: {**RELEASE_FORM, "version": "3.0.0", "filename": "a.bin"},
}
STREAMS = {("GET", "/dashboard/stream")}
# Reads that append an event (the access export is recorded): each gets a fresh world like a write.
RECORDED_READS = {("GET", "/admin/users/{account_id}/personal-data")}
# Routes whose answer is a redirect for everyone: the row records the redirect itself.
REDIRECTS = {("GET", "/")}
MISSING = {
    "account_id": str(uuid.uuid4()),
    "license_id": str(uuid.uuid4()),
    "device_id": str(uuid.uuid4()),
    "session_id": str(uuid.uuid4()),
    "ip": "192.0.2.55",
    "aggregate_id": str(uuid.uuid4()),
    "key_id": str(uuid.uuid4()),
    "endpoint_id": str(uuid.uuid4()),
    "position": "1",
    "alert_id": str(uuid.uuid4()),
    "crash_id": str(uuid.uuid4()),
    "release_id": str(uuid.uuid4()),
    "file_id": str(uuid.uuid4()),
    "grant_id": str(uuid.uuid4()),
}


def headers_for(world: World, auth: str, caller: str) -> dict[str, str]:
    """How ``caller`` authenticates to a route of kind ``auth`` (body credentials are in the body)."""
    if caller in ("anonymous", "bad_body") or auth in ("login", "refresh"):
        return {}
    who = {"missing": "admin", "other": "admin" if auth == "cookie" else "user"}.get(caller, caller)
    if auth == "witness":
        return world.web[who] if who == "admin" or caller == "other" else Api.bearer(world.desktop[who])
    if auth == "bearer":
        return Api.bearer(world.desktop[who])
    if caller == "other":
        return {**world.web[who], "X-CSRF-Token": world.web["user"]["X-CSRF-Token"]}
    return world.web[who]


async def first_response(app: Any, method: str, path: str, headers: dict[str, str]) -> httpx2.Response:
    """Drives the ASGI app directly with a client that hangs up after the response starts: the way to see
    the status of an endless server-sent-events stream (TestClient would wait for its end)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "server": ("testserver", 443),
        "client": ("203.0.113.7", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    requested = False
    start: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)

    await app(scope, receive, send)
    return httpx2.Response(start["status"], headers=start["headers"])


def call(world: World, route: Route, caller: str) -> httpx2.Response:
    method, template = route
    auth, _ = ROWS[route]
    params = MISSING if caller == "missing" else world.ids
    if caller != "missing":
        params = params | {name: world.ids[key] for name, key in TARGETS.get(route, {}).items()}
    path = template.format(**params)
    make = BODIES.get(route)
    body = make(world, caller) if make else None
    if body is not None and caller == "bad_body":
        body = {**body, "unexpected_field": 1}
    headers = headers_for(world, auth, caller)
    if route in STREAMS:
        return asyncio.run(first_response(world.api.client.app, method, path, headers))
    query = QUERIES[route](world) if route in QUERIES else None
    world.api.client.cookies.clear()
    if route in FORMS:
        sent = FORMS[route](body or {})
        headers = {**headers, **sent.pop("headers", {})}
        return world.api.client.request(
            method, path, params=query, headers=headers, follow_redirects=False, **sent
        )
    return world.api.client.request(
        method, path, params=query, json=body, headers=headers, follow_redirects=route not in REDIRECTS
    )


@pytest.fixture
def world(tmp_path: Path, now: datetime) -> Iterator[World]:
    """A fresh world, for a route whose successful calls change it."""
    with sqlite_api(tmp_path, now, **HOOK_SETTINGS) as api:
        yield build_world(api)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for every test that changes nothing: GET rows and the checks around the table."""
    with sqlite_api(tmp_path_factory.mktemp("shared"), SHARED_NOW, **HOOK_SETTINGS) as api:
        yield build_world(api)


def openapi_routes(app: FastAPI) -> set[Route]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def app_of(api: Api) -> FastAPI:
    app = api.client.app
    assert isinstance(app, FastAPI)
    return app


def test_every_route_has_a_row(shared: World) -> None:
    """The matrix lists exactly the routes of the OpenAPI document, every method of every path."""
    assert openapi_routes(app_of(shared.api)) == set(ROWS)


def test_every_routed_endpoint_is_in_the_openapi_document() -> None:
    """No router hides a route from the OpenAPI document (and so from the matrix)."""
    hidden = [
        route.path
        for module in ROUTERS
        for route in module.router.routes
        if isinstance(route, APIRoute) and not route.include_in_schema
    ]
    assert hidden == []


def test_rows_with_a_body_say_what_a_bad_body_gets(shared: World) -> None:
    """A route that takes a body has a ``bad_body`` cell (and a bodiless one has none), so the table
    states whether validation or authentication answers first."""
    paths: dict[str, dict[str, Any]] = app_of(shared.api).openapi()["paths"]
    for (method, path), (_, expect) in ROWS.items():
        has_body = "requestBody" in paths[path][method.lower()]
        assert has_body == ("bad_body" in expect), (method, path)
        assert has_body == ((method, path) in BODIES), (method, path)


@pytest.mark.parametrize("route", list(ROWS), ids=" ".join)
def test_matrix(request: pytest.FixtureRequest, route: Route) -> None:
    """Each caller gets the status its row states; every refusal is a problem document. (A GET row changes
    nothing, so it runs in the shared world, unless it is recorded; any other row gets a fresh one.)"""
    shared = route[0] == "GET" and route not in RECORDED_READS
    world: World = request.getfixturevalue("shared" if shared else "world")
    _, expect = ROWS[route]
    got = {}
    for caller in CALLERS:
        if caller in expect:
            response = call(world, route, caller)
            got[caller] = response.status_code
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json", response.text
    assert got == expect


def test_non_admins_cannot_probe_for_ids(shared: World) -> None:
    """On admin routes a non-admin gets the same 403 for an id that exists and one that does not."""
    headers = shared.web["vip"]
    admin_rows = (r for r, (auth, expect) in ROWS.items() if "missing" in expect and auth == "cookie")
    for method, template in admin_rows:
        body = BODIES[method, template](shared, "vip") if (method, template) in BODIES else None
        for params in (shared.ids, MISSING):
            response = shared.api.client.request(
                method, template.format(**params), json=body, headers=headers
            )
            assert (response.status_code, response.json()["code"]) == (403, "forbidden"), template


@pytest.mark.parametrize(
    ("path", "other_kind"),
    [
        ("/admin/users/{}", "license_id"),
        ("/admin/licenses/{}", "account_id"),
        ("/admin/devices/{}", "session_id"),
        ("/admin/sessions/{}", "device_id"),
    ],
)
def test_an_id_of_another_kind_is_not_found(shared: World, path: str, other_kind: str) -> None:
    """An admin route given the id of a different kind of object answers 404, never that object."""
    response = shared.api.client.get(path.format(shared.ids[other_kind]), headers=shared.web["admin"])
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_path_ids_are_validated_after_authentication(shared: World) -> None:
    """A malformed path id is 401 for anonymous, 403 for a non-admin and 422 only for an admin."""
    path = "/admin/users/not-a-uuid"
    statuses = [shared.api.client.get(path, headers=shared.web[c]).status_code for c in ("vip", "admin")]
    assert [shared.api.client.get(path).status_code, *statuses] == [401, 403, 422]


@pytest.mark.parametrize("path", ["/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"])
def test_framework_pages_are_public(shared: World, path: str) -> None:
    """The pages FastAPI adds outside the OpenAPI document are public reads."""
    assert shared.api.client.get(path).status_code == 200
