"""Prometheus metrics count requests by route template, method and status."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.api.embedded import sqlite_api


def test_requests_are_counted_by_route_template(tmp_path: Path, now: datetime) -> None:
    """Each request is counted under its route template (never the raw path with ids), with its status."""
    with sqlite_api(tmp_path, now, metrics_allow=["203.0.113.0/24"]) as api:
        api.client.get("/healthz")
        api.client.get("/admin/users/00000000-0000-0000-0000-000000000000")
        response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert 'keyledger_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in lines
    admin_route = 'route="/admin/users/{account_id}",status="401"'
    assert f'keyledger_http_requests_total{{method="GET",{admin_route}}} 1.0' in lines
    assert not any("00000000-0000" in line for line in lines)
