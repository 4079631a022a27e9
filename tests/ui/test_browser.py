"""The issue's story in a real browser (Debian's Chromium through Playwright), in Korean and in English:
log in, switch language, create a user, issue keys, ban the user with a reason, see the ban in the live
feed without reloading, find it in the audit page, export the users CSV. Every page passes axe-core with
no serious or critical violation, and is saved as a screenshot under tests/ui/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from tests.api.harness import PASSWORD
from tests.ui.chromium import ARTIFACTS, needs_chromium, served_ui

pytestmark = needs_chromium
WORDS = {
    "ko": {"banned": "계정 차단", "login": "로그인", "create": "사용자 만들기", "issue": "키 발급"},
    "en": {"banned": "Account banned", "login": "Log in", "create": "Create user", "issue": "Issue keys"},
}
PAGES = (
    "/ui/",
    "/ui/users",
    "/ui/licenses",
    "/ui/devices",
    "/ui/sessions",
    "/ui/ip-blocks",
    "/ui/crashes",
    "/ui/releases",
    "/ui/audit",
)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    def admin(ledger: Ledger) -> None:
        ledger.register("boss", PASSWORD, Role.ADMIN, datetime.now(UTC), AuditContext(actor="test"))

    with served_ui(tmp_path_factory.mktemp("browser"), admin) as url:
        yield url


@pytest.fixture
def context(browser: Any, base_url: str) -> Iterator[Any]:
    """A fresh browser profile at desktop width, closed (with its live streams) after the test."""
    opened = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    try:
        yield opened
    finally:
        opened.close()


def accessible(page: Any) -> None:
    """axe-core finds no serious or critical violation on the page."""
    results = Axe().run(page)
    bad = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], (page.url, bad)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_admin_story(context: Any, lang: str) -> None:
    """The issue's story, end to end, in one language."""
    words, user = WORDS[lang], f"story_{lang}"
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/ui/login")
    page.click(f"nav.lang a[hreflang={lang}]")
    page.fill("#username", "boss")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/ui/")
    assert page.locator("html").get_attribute("lang") == lang
    feed = context.new_page()
    feed.goto("/ui/")
    page.goto("/ui/users")
    page.fill("#new-username", user)
    page.fill("#new-password", PASSWORD)
    page.click(f"text={words['create']} >> nth=-1")
    page.wait_for_url("**/ui/users/*")
    user_url = page.url
    page.goto("/ui/licenses")
    page.fill("#count", "2")
    page.click(f"button:has-text('{words['issue']}')")
    assert page.locator("code.key").count() == 2
    page.goto(user_url)
    page.fill("#reason", "chargeback")
    page.click("form[action$='/ban'] button[type=submit]")
    page.wait_for_selector("#ban-status")
    feed.wait_for_selector(f"#feed li.fresh:has-text('{words['banned']}')", timeout=10_000)
    page.goto(f"/ui/audit?event_type=Account.Banned&aggregate_id={user_url.rsplit('/', 1)[1]}")
    assert "chargeback" in page.locator("#audit-events").inner_text()
    page.goto("/ui/users")
    with page.expect_download() as download:
        page.click("#export-csv")
    assert user in Path(download.value.path()).read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_page_is_accessible_and_photographed(context: Any, lang: str) -> None:
    """axe-core on every page at desktop width; screenshots at 1280 px and at phone width."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = context.new_page()
    page.goto(f"/ui/language?lang={lang}&next=/ui/login")
    page.screenshot(path=str(ARTIFACTS / f"login-{lang}.png"), full_page=True)
    accessible(page)
    page.fill("#username", "boss")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/ui/")
    for path in PAGES:
        page.goto(path)
        name = path.strip("/").replace("ui/", "").replace("/", "-") or "dashboard"
        name = "dashboard" if name == "ui" else name
        page.screenshot(path=str(ARTIFACTS / f"{name}-{lang}.png"), full_page=True)
        accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/ui/users")
    page.screenshot(path=str(ARTIFACTS / f"users-phone-{lang}.png"), full_page=True)
