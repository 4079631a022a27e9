"""The integration pages: an API key's token and a webhook's secret are shown once, an endpoint's page
lists its deliveries, alerts are acknowledged, and license time is granted from a user's page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from uuid import UUID

import pytest

from domain.alert import AlertKind
from domain.context import AuditContext
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api
from tests.ui.test_pages import HTML, login


@pytest.fixture
def ui(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now, webhook_allow_networks=["127.0.0.1/32"]) as api:
        api.create_account("boss", Role.ADMIN)
        yield api


def listed_until(api: Api, path: str, marker: str) -> str:
    """The page's text after ``marker`` once the read models show it (they follow the ledger)."""
    deadline = time.monotonic() + 5
    while marker not in (text := api.client.get(path, headers=HTML).text):
        assert time.monotonic() < deadline, f"{marker!r} never appeared on {path}"
        time.sleep(0.05)
    return text.split(marker, 1)[1]


def test_an_api_key_token_is_shown_once(ui: Api) -> None:
    """Creating a key shows its token; the list never does."""
    csrf = login(ui)
    form = {"csrf_token": csrf, "name": "shop", "scope": ["licenses:write", "users:read"]}
    made = ui.client.post("/ui/api-keys", data=form, headers=HTML)
    assert "kl_live_" in made.text
    listed = listed_until(ui, "/ui/api-keys", "shop")
    assert "kl_live_" not in listed


def test_the_key_form_offers_the_export_scope_with_a_warning(ui: Api) -> None:
    """The form lists ``personal-data:read`` and says, in Korean by default, that it exports a person's data
    and that users:read does not; a key made with it holds exactly that scope."""
    csrf = login(ui)
    page = ui.client.get("/ui/api-keys", headers=HTML).text
    assert 'value="personal-data:read"' in page
    assert "personal-data:read는 한 사람의 모든 개인정보를 내보냅니다" in page
    form = {"csrf_token": csrf, "name": "dsar", "scope": ["personal-data:read"]}
    made = ui.client.post("/ui/api-keys", data=form, headers=HTML)
    token = re.search(r"kl_live_[0-9a-f]{32}_[A-Za-z0-9_-]+", made.text)
    assert token is not None
    key = ui.ledger.api_key_for_token(token.group(), ui.clock(), AuditContext("test"))
    assert [s.value for s in key.scopes] == ["personal-data:read"]


def test_a_webhook_secret_is_shown_once_and_its_page_lists_deliveries(ui: Api) -> None:
    """Registering shows the whsec_ secret once; the endpoint's page shows its state and deliveries."""
    csrf = login(ui)
    form = {"csrf_token": csrf, "url": "http://127.0.0.1:9/hook", "event_types": "Alert.* License.Issued"}
    made = ui.client.post("/ui/webhooks", data=form, headers=HTML)
    assert "whsec_" in made.text
    hook = listed_until(ui, "/ui/webhooks", 'href="/ui/webhooks/').split('"', 1)[0]
    page = ui.client.get(f"/ui/webhooks/{hook}", headers=HTML)
    assert "127.0.0.1:9/hook" in page.text
    assert "whsec_" not in page.text


def test_a_private_webhook_url_is_refused_on_the_page(tmp_path: Path, now: datetime) -> None:
    """Without an allowed network a loopback URL is refused next to the field."""
    with sqlite_api(tmp_path, now) as api:
        api.create_account("boss", Role.ADMIN)
        csrf = login(api)
        form = {"csrf_token": csrf, "url": "http://127.0.0.1:9/hook", "event_types": "*"}
        page = api.client.post("/ui/webhooks", data=form, headers=HTML)
    assert "whsec_" not in page.text
    assert 'id="url-error"' in page.text


def test_an_alert_is_acknowledged_from_the_page(ui: Api) -> None:
    """The alerts page lists an alert and acknowledges it."""
    now = ui.clock()
    ui.ledger.raise_alert(
        AlertKind.FINGERPRINT_CHURN, "someone", 7, now, now, AuditContext("system:policies")
    )
    alert = ui.ledger.digests.index_id("alert", f"fingerprint_churn|someone|{now.isoformat()}")
    csrf = login(ui)
    page = ui.client.post(f"/ui/alerts/{alert}/acknowledge", data={"csrf_token": csrf}, headers=HTML)
    assert "기기 지문이 계속 바뀜" in page.text  # the kind, translated
    assert f'action="/ui/alerts/{alert}/acknowledge"' not in page.text


def test_license_time_is_granted_from_a_users_page(ui: Api) -> None:
    """The grant form gives the account time; the license appears on its page."""
    user = ui.create_account("dana")
    csrf = login(ui)
    form = {"csrf_token": csrf, "grant_days": "30", "grant_tier": "vip", "grant_device_limit": "2"}
    page = ui.client.post(f"/ui/users/{user}/grant", data=form, headers=HTML)
    assert page.status_code == 200
    account = ui.ledger.account(UUID(user))
    assert (account.role, account.device_limit, len(account.grants)) == (Role.VIP, 2, 1)
