"""Every admin page in a real browser, in Korean and English, at 1280 px and at 375 px, over a ledger with
something on every page: axe-core finds no violation of any severity, no visible table cell or feed entry
shows a bare id prefix where a name belongs, a Korean page shows no raw enum value, the navigation stays
on at most two lines, and a live feed entry reads exactly like the same entry drawn by the server.
Screenshots are kept under tests/ui/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.api.harness import PASSWORD
from tests.ui.chromium import ARTIFACTS, needs_chromium, served_ui
from tests.ui.seed import seed

pytestmark = needs_chromium
PAGES = (
    "/ui/login",
    "LOGIN",  # logs in: the pages below are the admin's
    "/ui/",
    "/ui/users",
    "USER",
    "/ui/licenses",
    "/ui/devices",
    "/ui/sessions",
    "/ui/ip-blocks",
    "/ui/crashes",
    "CRASH",
    "/ui/releases",
    "RELEASE",
    "/ui/audit",
    "/ui/alerts",
    "/ui/webhooks",
    "WEBHOOK",
    "/ui/api-keys",
)
DETAIL = {  # a detail page in the sweep: reached by the first link of its list
    "USER": ("/ui/users?search=mina", "/ui/users/"),
    "CRASH": ("/ui/crashes", "/ui/crashes/"),
    "RELEASE": ("/ui/releases", "/ui/releases/"),
    "WEBHOOK": ("/ui/webhooks", "/ui/webhooks/"),
}
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
# Visible text of table cells, feed and list entries holding 8 hex digits that are not part of a full id.
BARE_IDS = """() => {
  const bare = /(?<![0-9a-f-])[0-9a-f]{8}(?![0-9a-f-])/i;
  const shown = [...document.querySelectorAll("td, th, dd, #feed li, .timeline li, #expiring li")]
    .filter((e) => e.getClientRects().length > 0);
  return shown.map((e) => e.innerText).filter((text) => bare.test(text));
}"""
RAW_ENUMS = r"""() => {
  const raw = new RegExp("\\b([A-Z][A-Za-z]+\\.[A-Z][A-Za-z]+|"
    + "available|active|suspended|revoked|web|desktop|user|vip|admin|published|withdrawn|"
    + "enabled|disabled|failing|pending|delivered|logout|device_released|password_changed|"
    + "ip_many_accounts|account_many_ips|fingerprint_churn|Account|Session|IpAddress|License|Device|"
    + "ApiKey|WebhookEndpoint|CrashReport|Alert|Download|Release)\\b", "g");
  const codes = [...document.querySelectorAll("main code, main pre")];  // codes an admin types, as such
  codes.forEach((e) => { e.style.display = "none"; });
  const text = document.querySelector("main").innerText;
  codes.forEach((e) => { e.style.display = ""; });
  return [...new Set(text.match(raw) || [])];
}"""
# An entry's text with each time's relative words (which move on while the page is open) replaced by its
# fixed attributes: the moment and the exact times shown on hover.
ENTRY_TEXT = """(item) => {
  const copy = item.cloneNode(true);
  copy.classList.remove("fresh");
  copy.querySelectorAll("time").forEach((t) => { t.textContent = `${t.dateTime}|${t.title}`; });
  return copy.outerHTML.replace(/ class=""/, "");
}"""


@dataclass
class Sweep:
    """What the checks found on each page of one language at one width."""

    axe: dict[str, list[str]] = field(default_factory=dict)
    bare_ids: dict[str, list[str]] = field(default_factory=dict)
    raw_enums: dict[str, list[str]] = field(default_factory=dict)
    nav_height: float = 0.0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_ui(tmp_path_factory.mktemp("pages"), seed) as url:
        yield url


def login_page(browser: Any, site: str, lang: str, width: str) -> Any:
    """The login page in ``lang``, in a fresh profile in Seoul's time zone."""
    context = browser.new_context(base_url=site, viewport=WIDTHS[width], timezone_id="Asia/Seoul")
    page = context.new_page()
    page.goto(f"/ui/language?lang={lang}&next=/ui/login")
    return page


def logged_in(browser: Any, site: str, lang: str, width: str, page: Any = None) -> Any:
    """A page logged in as the admin in ``lang`` (from ``page``, a login page, if given)."""
    page = page or login_page(browser, site, lang, width)
    page.fill("#username", "boss")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/ui/")
    return page


def target(page: Any, path: str) -> str:
    """A page's path; USER, CRASH, RELEASE and WEBHOOK stand for the first such item's own page."""
    if path in DETAIL:
        listing, prefix = DETAIL[path]
        page.goto(listing)
        return str(page.get_attribute(f"#main table a[href^='{prefix}']", "href"))
    return path


def sweep_once(browser: Any, site: str, lang: str, width: str) -> Sweep:
    found, page = Sweep(), login_page(browser, site, lang, width)
    ARTIFACTS.mkdir(exist_ok=True)
    for path in PAGES:
        if path == "LOGIN":
            logged_in(browser, site, lang, width, page)
            continue
        page.goto(target(page, path))
        name = path.strip("/").removeprefix("ui").strip("/").replace("/", "-").lower() or "dashboard"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{lang}-{width}.png"), full_page=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{lang}-{width}-top.png"))
        violations = Axe().run(page).response["violations"]
        found.axe[path] = [f"{v['id']} ({v['impact']})" for v in violations]
        found.bare_ids[path] = page.evaluate(BARE_IDS)
        found.raw_enums[path] = page.evaluate(RAW_ENUMS) if lang == "ko" else []
        if page.locator(".top nav ul").count():  # the login page has no navigation
            found.nav_height = max(found.nav_height, page.locator(".top nav ul").bounding_box()["height"])
    page.context.close()
    return found


SWEEPS: dict[tuple[str, str], Sweep] = {}


@pytest.fixture(params=[("ko", "desktop"), ("en", "desktop"), ("ko", "phone"), ("en", "phone")], ids=str)
def sweep(request: pytest.FixtureRequest, browser: Any, site: str) -> Sweep:
    """Every page visited once per language and width (the tests below share the visit)."""
    lang, width = request.param
    if (lang, width) not in SWEEPS:
        SWEEPS[lang, width] = sweep_once(browser, site, lang, width)
    return SWEEPS[lang, width]


def test_axe_finds_no_violation_of_any_severity(sweep: Sweep) -> None:
    """axe-core reports nothing on any page, whatever the impact."""
    assert {path: v for path, v in sweep.axe.items() if v} == {}


def test_tables_and_feed_show_names_not_id_prefixes(sweep: Sweep) -> None:
    """No visible table cell, feed or list entry shows a bare id prefix where a name belongs."""
    assert {path: v for path, v in sweep.bare_ids.items() if v} == {}


def test_korean_pages_show_no_raw_enum_value(sweep: Sweep) -> None:
    """Roles, statuses, tiers, kinds, aggregate and event names are translated on Korean pages."""
    assert {path: v for path, v in sweep.raw_enums.items() if v} == {}


def test_navigation_stays_on_one_line(sweep: Sweep) -> None:
    """The main navigation is one line at either width (it scrolls sideways on a phone)."""
    assert sweep.nav_height < 40


def test_the_checks_catch_what_they_look_for(browser: Any) -> None:
    """The id-prefix and raw-enum checks flag a page that has both (so their silence means something)."""
    page = browser.new_page()
    page.set_content(
        "<main><table><tr><td>Account 6f91449d</td><td>available</td>"
        "<td>Account.Banned</td><td><code>License.Issued</code></td></tr></table></main>"
    )
    assert page.evaluate(BARE_IDS) == ["Account 6f91449d"]
    assert sorted(page.evaluate(RAW_ENUMS)) == ["Account", "Account.Banned", "available"]
    page.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_live_entries_read_like_server_drawn_ones(browser: Any, site: str, lang: str) -> None:
    """An entry added to the feed while the dashboard is open is the entry the server draws on reload."""
    watcher = logged_in(browser, site, lang, "desktop")
    actor = logged_in(browser, site, lang, "desktop")
    actor.goto(target(actor, "USER"))
    actor.fill("#device_limit", "3")
    actor.click("form[action$='/device-limit'] button[type=submit]")
    fresh = watcher.wait_for_selector("#feed li.fresh", timeout=10_000)
    live = fresh.evaluate(ENTRY_TEXT)
    position = fresh.get_attribute("data-position")
    assert "Asia/Seoul" in live
    watcher.reload()
    drawn = watcher.locator(f"#feed li[data-position='{position}']").evaluate(ENTRY_TEXT)
    assert live == drawn
    for page in (watcher, actor):
        page.context.close()
