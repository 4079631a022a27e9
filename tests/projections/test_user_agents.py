"""The session list names a session's browser and system from its User-Agent header: known headers read
right, and any header (untrusted input) yields only a known name with a short version, or nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given

from projections.user_agents import BROWSERS, MAX_SCANNED, SYSTEMS, Client, parse
from tests.strategies import user_agents

KNOWN = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36": Client("Chrome 120", "Windows"),
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1": Client("Safari 17", "iOS 17"),
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91": Client("Edge 120", "macOS 10"),
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0": Client(
        "Firefox 121", "Linux"
    ),
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36": Client("Samsung Internet 23", "Android 14"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36 OPR/106.0.0.0": Client("Opera 106", "Windows"),
    "keyledger-cli": Client("Keyledger CLI", ""),
    "curl/8.5.0": Client("curl 8", ""),
    "": Client("", ""),
}
NAME = re.compile(
    "^(|(?:{})(?: \\d{{1,4}})?)$".format("|".join(re.escape(n) for n, _ in (*BROWSERS, *SYSTEMS)))
)


@pytest.mark.parametrize(("header", "client"), KNOWN.items())
def test_known_headers_name_their_browser_and_system(header: str, client: Client) -> None:
    """Real headers of the common browsers read as people call them."""
    assert parse(header) == client


def test_no_header_is_no_client() -> None:
    """A session opened without a User-Agent has neither browser nor system."""
    assert parse(None) == Client("", "")


@given(user_agents())
def test_any_header_gives_only_known_names(header: str) -> None:
    """Whatever a client sends, the result is a known name with at most four digits of version, or empty."""
    client = parse(header)
    assert NAME.match(client.browser), client
    assert NAME.match(client.system), client


@given(user_agents())
def test_only_the_start_of_a_long_header_is_read(header: str) -> None:
    """Padding a header past the scanned length changes nothing (the work per header is bounded)."""
    padded = header[:MAX_SCANNED].ljust(MAX_SCANNED) + "Firefox/99 Windows NT "
    assert parse(padded) == parse(header[:MAX_SCANNED].ljust(MAX_SCANNED))
