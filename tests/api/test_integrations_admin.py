"""The admin side of integrations over HTTP: a webhook's secret is shown once, alerts are acknowledged
(an event), and license time granted straight to an account shows on it and is taken back by revoke."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from domain.alert import AlertKind
from domain.context import AuditContext
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, web_session

HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture
def api(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now, webhook_allow_networks=["127.0.0.1/32"]) as running:
        running.create_account("boss", Role.ADMIN)
        yield running


def test_a_webhook_secret_is_shown_once(api: Api) -> None:
    """Registration and rotation answer a ``whsec_`` secret; no read ever shows one."""
    admin = web_session(api, "boss")
    made = api.client.post("/admin/webhooks", json={"url": HOOK, "event_types": ["Alert.*"]}, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["secret"].startswith("whsec_")
    hook = made.json()["endpoint"]["id"]
    rotated = api.client.post(f"/admin/webhooks/{hook}/rotate-secret", json={}, headers=admin).json()
    assert rotated["secret"] != made.json()["secret"]
    listed = api.client.get("/admin/webhooks", params={"position": rotated["position"]}, headers=admin)
    one = api.client.get(f"/admin/webhooks/{hook}", headers=admin)
    for text in (listed.text, one.text):
        assert "whsec_" not in text
        assert "sealed" not in text


def test_an_alert_is_acknowledged_once(api: Api) -> None:
    """Acknowledging names who saw the alert; a second acknowledgement writes nothing."""
    now = api.clock()
    api.ledger.raise_alert(
        AlertKind.ACCOUNT_MANY_IPS, "someone", 6, now, now, AuditContext("system:policies")
    )
    admin = web_session(api, "boss")
    listed = api.client.get("/admin/alerts", params={"open": "true"}, headers=admin)
    (alert,) = listed.json()["items"]
    first = api.client.post(f"/admin/alerts/{alert['id']}/acknowledge", json={}, headers=admin).json()
    again = api.client.post(f"/admin/alerts/{alert['id']}/acknowledge", json={}, headers=admin).json()
    assert first["alert"]["acknowledged_by"] == again["alert"]["acknowledged_by"] is not None
    assert again["position"] is None
    still_open = api.client.get(
        "/admin/alerts", params={"open": "true", "position": first["position"]}, headers=admin
    )
    assert still_open.json()["items"] == []


def test_granted_time_shows_on_the_account_and_revoke_takes_it_back(api: Api) -> None:
    """A grant extends the account (tier and device limit too); revoking its license withdraws the days."""
    user = api.create_account("dana")
    admin = web_session(api, "boss")
    granted = api.client.post(
        f"/admin/users/{user}/grants",
        json={"days": 30, "tier": "vip", "device_limit": 3, "reason": "goodwill"},
        headers=admin,
    )
    assert granted.status_code == 201, granted.text
    account = granted.json()["account"]
    assert (account["role"], account["device_limit"]) == ("vip", 3)
    assert account["license_expiry"] == (api.clock() + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    licenses = api.client.get(
        "/admin/licenses", params={"account_id": user, "position": granted.json()["position"]}, headers=admin
    ).json()["items"]
    assert [item["id"] for item in licenses] == [granted.json()["license_id"]]
    api.client.post(f"/admin/licenses/{granted.json()['license_id']}/revoke", json={}, headers=admin)
    assert api.client.get(f"/admin/users/{user}", headers=admin).json()["license_expiry"] is None


def test_a_grant_never_gives_admin(api: Api) -> None:
    """The admin tier cannot be granted."""
    user = api.create_account("erin")
    response = api.client.post(
        f"/admin/users/{user}/grants", json={"days": 3, "tier": "admin"}, headers=web_session(api, "boss")
    )
    assert response.status_code == 422
