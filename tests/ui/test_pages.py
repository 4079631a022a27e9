"""The admin pages over the real app: login and language, refusals, CSRF in forms, confirmations, the
actions going through the ledger, and the CSV exports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from uuid import UUID

import pytest

from api.ui.csv_export import cell
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import PASSWORD, Api
from tests.api.test_crash_reports import crash_body

HTML = {"accept": "text/html"}


@pytest.fixture
def ui(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now) as api:
        api.create_account("boss", Role.ADMIN)
        yield api


def login(api: Api, username: str = "boss") -> str:
    """Logs in through the login form; returns the CSRF token the pages carry."""
    page = api.client.post("/ui/login", data={"username": username, "password": PASSWORD}, headers=HTML)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def test_a_browser_without_a_session_is_sent_to_the_login_page(ui: Api) -> None:
    """Anonymous browsers get 303 to the login page (with the page to return to); API clients a 401."""
    page = ui.client.get("/ui/users", headers=HTML, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/ui/login?next=/ui/users")
    assert ui.client.get("/ui/users").status_code == 401


def test_the_login_page_is_korean_until_english_is_chosen(ui: Api) -> None:
    """Korean by default; the switch remembers English in a cookie."""
    assert "로그인" in ui.client.get("/ui/login").text
    switched = ui.client.get("/ui/language?lang=en&next=/ui/login")
    assert "Log in to the admin dashboard" in switched.text
    assert ui.client.cookies.get("keyledger_lang") == "en"


def test_the_language_switch_only_returns_to_our_pages(ui: Api) -> None:
    """An outside ``next`` is ignored (no open redirect)."""
    answer = ui.client.get("/ui/language?lang=en&next=//evil.example/", follow_redirects=False)
    assert answer.headers["location"] == "/ui/"


def test_wrong_credentials_are_shown_next_to_the_field(ui: Api) -> None:
    """The error sits next to the password field, in the reader's language."""
    page = ui.client.post("/ui/login", data={"username": "boss", "password": "nope"}, headers=HTML)
    assert 'id="password-error"' in page.text
    assert "비밀번호가 올바르지 않습니다" in page.text


def test_non_admins_cannot_log_in_to_the_pages(ui: Api) -> None:
    """A user's credentials open no session here."""
    ui.create_account("alice")
    page = ui.client.post("/ui/login", data={"username": "alice", "password": PASSWORD}, headers=HTML)
    assert "관리자가 아닙니다" in page.text
    assert not ui.client.cookies


def test_a_form_without_the_csrf_token_is_refused(ui: Api) -> None:
    """Writes need the session's token, from the form field or the header."""
    login(ui)
    page = ui.client.post("/ui/users", data={"username": "x", "password": PASSWORD}, headers=HTML)
    assert page.status_code == 403
    cross = ui.client.post(
        "/ui/users",
        data={"username": "x", "password": PASSWORD, "csrf_token": login(ui)},
        headers={**HTML, "origin": "https://evil.example"},
    )
    assert cross.status_code == 403


def test_a_ban_asks_first_then_goes_through_the_ledger(ui: Api) -> None:
    """Without confirmation the page names the action; confirmed, the account is banned with its reason."""
    csrf = login(ui)
    created = ui.client.post(
        "/ui/users", data={"csrf_token": csrf, "username": "alice", "password": PASSWORD}, headers=HTML
    )
    account_id = str(created.url).rsplit("/", 1)[1]
    form = {"csrf_token": csrf, "reason": "chargeback"}
    asked = ui.client.post(f"/ui/users/{account_id}/ban", data=form, headers=HTML)
    assert "alice" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert not ui.ledger.account(UUID(account_id)).banned
    ui.client.post(f"/ui/users/{account_id}/ban", data={**form, "confirmed": "yes"}, headers=HTML)
    assert ui.ledger.account(UUID(account_id)).banned
    audit = ui.client.get(f"/ui/audit?aggregate_id={account_id}", headers=HTML)
    assert "Account.Banned" in audit.text
    assert "chargeback" in audit.text


def test_a_ban_without_a_reason_shows_the_error_by_the_field(ui: Api) -> None:
    """Validation errors are shown next to the field and nothing is written."""
    csrf = login(ui)
    account_id = ui.create_account("alice")
    page = ui.client.post(f"/ui/users/{account_id}/ban", data={"csrf_token": csrf}, headers=HTML)
    assert 'id="reason-error"' in page.text
    assert not ui.ledger.account(UUID(account_id)).banned


def test_issued_keys_are_shown_once_and_download_as_csv(ui: Api) -> None:
    """The batch page lists each key with a copy button; the CSV carries the same keys."""
    csrf = login(ui)
    page = ui.client.post(
        "/ui/licenses",
        data={"csrf_token": csrf, "count": "3", "days": "30", "device_limit": "1"},
        headers=HTML,
    )
    keys = re.findall(r'<code class="key">([^<]+)</code>', page.text)
    assert len(keys) == 3
    assert page.text.count("data-copy=") == 3
    ids = re.findall(r'name="license_id" value="([^"]+)"', page.text)
    download = ui.client.post(
        "/ui/licenses/keys.csv", data={"csrf_token": csrf, "license_id": ids, "key": keys}, headers=HTML
    )
    assert download.headers["content-type"].startswith("text/csv")
    assert all(key in download.text for key in keys)


def test_the_users_csv_follows_the_filters(ui: Api) -> None:
    """The export has every account the filters match, and no other."""
    login(ui)
    ui.create_account("carol")
    ui.create_account("bob")
    text = ui.client.get("/ui/users/export.csv?search=car").text
    assert text.startswith("id,username,role")
    assert "carol" in text
    assert "bob" not in text


def test_csv_cells_that_look_like_formulas_are_defused() -> None:
    """A cell a spreadsheet would run as a formula is prefixed with a quote."""
    assert [cell("=1+1"), cell("@x"), cell("plain"), cell(None)] == ["'=1+1", "'@x", "plain", ""]


@pytest.mark.parametrize(
    "path",
    [
        "/ui/",
        "/ui/users",
        "/ui/licenses",
        "/ui/devices",
        "/ui/sessions",
        "/ui/ip-blocks",
        "/ui/crashes",
        "/ui/releases",
        "/ui/audit",
    ],
)
def test_every_page_renders_in_both_languages_with_no_inline_script(ui: Api, path: str) -> None:
    """Each page answers 200 in Korean and English, with only our own script and stylesheet."""
    login(ui)
    for lang in ("ko", "en"):
        ui.client.get(f"/ui/language?lang={lang}")
        page = ui.client.get(path, headers=HTML)
        assert page.status_code == 200
        assert f'<html lang="{lang}">' in page.text
        assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/ui/static/app.js" defer>']
        assert " style=" not in page.text
        assert "<style" not in page.text


def test_blocking_your_own_network_asks_first(ui: Api) -> None:
    """An admin about to block a network holding their own address is shown a warning and must confirm;
    only the confirmed form writes the block."""
    csrf = login(ui)
    form = {"csrf_token": csrf, "address": "203.0.113.0/24", "reason": "noisy office"}
    asked = ui.client.post("/ui/ip-blocks", data=form, headers=HTML)
    assert asked.status_code == 200
    assert "203.0.113.7" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert not ui.ledger.is_blocked("203.0.113.0/24", ui.clock())
    done = ui.client.post(
        "/ui/ip-blocks", data={**form, "confirmed": "yes"}, headers=HTML, follow_redirects=False
    )
    assert done.status_code == 303
    assert ui.ledger.is_blocked("203.0.113.0/24", ui.clock())


def test_the_crashes_page_counts_per_version_and_shows_text_escaped(ui: Api) -> None:
    """Reports are counted per application version (table and chart); a report's traceback is shown in a
    <pre>, escaped: markup a client sent is text, never HTML."""
    ui.create_account("carol")
    tokens = ui.client_login("carol")
    body = crash_body(app_version="7.1.0", traceback='<img src=x onerror="alert(1)">\nValueError: boom')
    sent = ui.client.post("/client/crash-reports", json=body, headers=ui.bearer(tokens))
    assert sent.status_code == 201, sent.text
    ui.client.post("/client/crash-reports", json=crash_body(app_version="7.1.0"), headers=ui.bearer(tokens))
    login(ui)
    ui.client.get("/ui/language?lang=en")
    page = ui.client.get("/ui/crashes", headers=HTML)
    row = re.search(
        r'<a href="/ui/crashes\?app_version=7.1.0">7.1.0</a></td>\s*<td class="num">(\d+)</td>', page.text
    )
    assert row is not None, page.text
    assert row.group(1) == "2"
    assert "<svg" in page.text
    assert 'href="/ui/crashes"' in page.text  # in the navigation
    detail = ui.client.get(f"/ui/crashes/{sent.json()['id']}", headers=HTML)
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in detail.text
    assert "<img" not in detail.text
