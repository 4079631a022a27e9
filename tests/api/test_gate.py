"""The gate in front of every route: blocks cover every path but the health checks, the general limit
counts verified principals only, and /metrics is for the allowed networks or the metrics token."""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from pathlib import Path

from domain.context import AuditContext
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, licensed_client, web_session

EVERY_KIND_OF_PATH = (
    "/docs",
    "/openapi.json",
    "/redoc",
    "/ui/static/app.css",
    "/metrics",
    "/ui/login",
    "/nowhere",
)
TOKEN = "m" * 32


def mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def block_the_test_client(api: Api) -> None:
    """Blocks the test client's network and waits (bounded) until the gate enforces it."""
    api.ledger.block_ip("203.0.113.0/24", None, api.clock(), AuditContext("test", reason="test"))
    deadline = time.monotonic() + 5
    while api.client.get("/.well-known/jwks.json").status_code != 403:
        assert time.monotonic() < deadline, "the block never took effect"
        time.sleep(0.05)


def test_a_block_covers_docs_schema_static_files_and_metrics(tmp_path: Path, now: datetime) -> None:
    """Inside a blocked network every path answers 403 ip_blocked (docs, OpenAPI, static files,
    metrics, unknown paths too); only /healthz and /readyz stay open for load balancers."""
    with sqlite_api(tmp_path, now) as api:
        block_the_test_client(api)
        for path in EVERY_KIND_OF_PATH:
            refused = api.client.get(path)
            assert refused.status_code == 403, path
            assert refused.json()["code"] == "ip_blocked", path
            assert refused.headers["content-type"] == "application/problem+json"
        assert api.client.get("/healthz").status_code == 200
        assert api.client.get("/readyz").status_code == 200


def test_made_up_bearer_tokens_share_the_address_window(tmp_path: Path, now: datetime) -> None:
    """A random Authorization: Bearer value buys no window of its own: the general limit counts such
    requests against the client's address, so the 4th of a 3-per-minute limit is 429."""
    with sqlite_api(tmp_path, now, api_limit="3/60") as api:
        answers = [
            api.client.get("/client/license", headers={"Authorization": f"Bearer {secrets.token_hex(16)}"})
            for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert answers[-1].json()["code"] == "rate_limited"


def test_a_verified_principal_has_its_own_window(tmp_path: Path, now: datetime) -> None:
    """A valid access token counts against its account, not against the address it shares with others:
    anonymous traffic from the same address exhausting its window does not refuse the signed-in client."""
    with sqlite_api(tmp_path, now, api_limit="5/60") as api:
        tokens = licensed_client(api, "carol")
        for _ in range(6):
            api.client.get("/client/license")
        assert api.client.get("/client/license").status_code == 429
        assert api.client.get("/client/license", headers=api.bearer(tokens)).status_code == 200


def test_metrics_need_an_allowed_network_or_the_token(tmp_path: Path, now: datetime) -> None:
    """/metrics is refused (403 metrics_forbidden) to an address outside KEYLEDGER_METRICS_ALLOW, served
    with the metrics token, and served to an allowed network."""
    with sqlite_api(mkdir(tmp_path / "a"), now, metrics_token=TOKEN) as api:
        refused = api.client.get("/metrics")
        assert refused.status_code == 403
        assert refused.json()["code"] == "metrics_forbidden"
        assert (
            api.client.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code
            == 403
        )
        scraped = api.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert scraped.status_code == 200
        assert "keyledger_http_requests_total" in scraped.text
    with sqlite_api(mkdir(tmp_path / "b"), now, metrics_allow=["203.0.113.0/24"]) as api:
        assert api.client.get("/metrics").status_code == 200


def test_hsts_only_behind_an_https_origin(tmp_path: Path, now: datetime) -> None:
    """Strict-Transport-Security is sent when the public origin is https, and never on plain HTTP."""
    with sqlite_api(mkdir(tmp_path / "a"), now, public_origin="https://licensing.example.com") as api:
        hsts = api.client.get("/healthz").headers["strict-transport-security"]
        assert hsts.startswith("max-age=31536000")
    with sqlite_api(mkdir(tmp_path / "b"), now, public_origin="http://localhost:8000") as api:
        assert "strict-transport-security" not in api.client.get("/healthz").headers


def test_an_admin_session_counts_against_its_account(tmp_path: Path, now: datetime) -> None:
    """A valid web session is a verified principal too (its account's window)."""
    with sqlite_api(tmp_path, now, api_limit="4/60") as api:
        api.create_account("root", Role.ADMIN)
        session = web_session(api, "root")
        while api.client.get("/openapi.json").status_code != 429:
            pass
        assert api.client.get("/auth/me", headers=session).status_code == 200
