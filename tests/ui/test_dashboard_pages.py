"""The admin pages name people and things, over the real app: the feed and its live fragment (one
template), the cards fragment, license figures and search, the audit columns, the session list's own
session and browser, times in the reader's zone, the root redirect and the favicon."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, issue_key, licensed_client, settled
from tests.ui.test_pages import HTML, login

WINDOWS_CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36"


@pytest.fixture
def ui(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now) as api:
        api.create_account("boss", Role.ADMIN)
        api.client.headers["user-agent"] = WINDOWS_CHROME
        yield api


def entry(html: str, position: str) -> str:
    found = re.search(rf'<li data-position="{position}">.*?</li>', html, re.S)
    assert found, html
    return found.group(0)


def test_the_root_sends_a_browser_to_the_dashboard(ui: Api) -> None:
    """``/`` answers 303 to ``/ui/``, which sends a visitor without a session on to the login page."""
    answer = ui.client.get("/", headers=HTML, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/ui/")


def test_pages_carry_the_favicon(ui: Api) -> None:
    """Every page links the SVG favicon, which is served from the UI's static files."""
    assert 'rel="icon" href="/ui/static/favicon.svg"' in ui.client.get("/ui/login").text
    icon = ui.client.get("/ui/static/favicon.svg")
    assert (icon.status_code, icon.headers["content-type"].split(";")[0]) == (200, "image/svg+xml")


def test_a_live_entry_is_the_entry_the_dashboard_draws(ui: Api) -> None:
    """/ui/feed draws an entry with the dashboard's template: same markup, names instead of ids."""
    login(ui)
    ui.create_account("mina")
    settled(ui)
    dashboard = ui.client.get("/ui/", headers=HTML).text
    position = re.findall(r'<li data-position="(\d+)">', dashboard)[0]
    live = ui.client.get(f"/ui/feed?position={position}", headers=HTML).text.strip()
    assert live == entry(dashboard, position)
    assert ">mina<" in live or ">boss<" in live
    assert not re.search(r"(?<![0-9a-f-])[0-9a-f]{8}(?![0-9a-f-])", re.sub(r"<[^>]+>", " ", live))


def test_cards_come_alone_with_license_figures(ui: Api) -> None:
    """/ui/cards gives the cards without the page around them, with the keys per status."""
    login(ui)
    licensed_client(ui, "mina", days=3)
    issue_key(ui)
    settled(ui)
    cards = ui.client.get("/ui/cards", headers=HTML).text
    assert "<html" not in cards
    figures = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cards.split('id="license-figures"')[1]))
    assert "전체 발급 2 사용 가능 1 활성 1 정지됨 0 폐기됨 0 7일 안에 만료 1" in figures
    assert ">mina<" in cards.split('id="expiring"')[1]


def test_licenses_are_found_by_key_username_or_id(ui: Api) -> None:
    """The search box takes a key (looked up by its digest), a username or a license id."""
    login(ui)
    owned = licensed_client(ui, "mina")["license_id"]
    spare, key = issue_key(ui)
    settled(ui)

    def shown(search: str) -> set[str]:
        page = ui.client.get("/ui/licenses", params={"search": search}, headers=HTML).text
        return set(re.findall(r'data-copy="([0-9a-f-]{36})"', page))

    assert shown(key.lower()) == {spare}
    assert shown("mina") == {owned}
    assert shown(owned) == {owned}
    assert shown("nobody-at-all") == set()
    assert shown("") == {owned, spare}


def test_the_audit_page_has_a_column_per_question(ui: Api) -> None:
    """Time, event (translated), object (linked, named), actor (named), address, reason, details."""
    login(ui)
    mina = ui.create_account("mina")
    settled(ui)
    page = ui.client.get("/ui/audit", params={"aggregate_id": mina}, headers=HTML).text
    headers = re.findall(r'<th scope="col">([^<]+)</th>', page.split('id="audit-events"')[1])[:7]
    assert headers == ["시각", "이벤트", "대상", "수행자", "주소", "사유", "자세히"]
    assert "계정 등록" in page
    assert f'<a href="/ui/users/{mina}" title="{mina}">계정 <span class="name">mina</span></a>' in page
    assert "<details><summary>보기</summary>" in page


def test_the_session_list_marks_your_own_session_and_its_browser(ui: Api) -> None:
    """Your own session says so; each session names its browser and system."""
    login(ui)
    page = ui.client.get("/ui/sessions", headers=HTML).text
    assert page.count('id="own-session"') == 1
    assert "Chrome 120 · Windows" in page


def test_times_follow_the_zone_cookie(ui: Api) -> None:
    """With a zone remembered, hover text gives that zone's time and UTC; a bad value means UTC."""
    login(ui)
    ui.client.cookies.set("keyledger_tz", "Asia/Seoul")
    assert "(Asia/Seoul) · " in ui.client.get("/ui/users", headers=HTML).text
    ui.client.cookies.set("keyledger_tz", "Mars/Olympus")
    page = ui.client.get("/ui/users", headers=HTML).text
    assert "(Mars/Olympus)" not in page
    assert re.search(r'<time datetime="[^"]+" title="[^"(]+ UTC">', page)


def test_audit_time_filters_are_read_in_the_readers_zone(ui: Api, now: datetime) -> None:
    """A From/To/As-of time typed in the form is the reader's wall-clock time (Asia/Seoul is UTC+9), and the
    form says which zone it means."""
    login(ui)
    mina = ui.create_account("mina")
    settled(ui)
    ui.client.cookies.set("keyledger_tz", "Asia/Seoul")
    seoul = now.astimezone(ZoneInfo("Asia/Seoul")).replace(tzinfo=None)

    def shown(since: datetime) -> bool:
        params = {"aggregate_id": mina, "since": since.isoformat(timespec="minutes")}
        page = ui.client.get("/ui/audit", params=params, headers=HTML).text
        assert "시작 (Asia/Seoul)" in page
        return "계정 등록" in page.split('id="audit-events"')[1]

    assert shown(seoul - timedelta(minutes=1))
    assert not shown(seoul + timedelta(minutes=1))
