"""The browser the UI tests drive: Debian's Chromium through Playwright, headless, one per test module
(``browser``, re-exported by tests/ui/conftest.py), the app they look at, and where their screenshots go."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from bootstrap.app import build_services, create_app
from bootstrap.settings import Settings
from domain.digests import Digests
from domain.ledger.service import Ledger
from tests.api.test_http_e2e import serving
from tests.fakes import FastHasher, SeededEntropy
from tests.stores import TEST_KEY, sqlite_env

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@contextmanager
def served_ui(directory: Path, given: Callable[[Ledger], object]) -> Iterator[str]:
    """The whole app on a fresh SQLite ledger in ``directory`` (seeded ids, the fast hasher), served on
    loopback after ``given`` filled it; yields its base URL."""
    ledger = Ledger(
        sqlite_env(directory), digests=Digests(TEST_KEY), hasher=FastHasher(), entropy=SeededEntropy()
    )
    given(ledger)
    settings = Settings(data_dir=directory / "data", insecure_dev_cookies=True)
    try:
        with serving(create_app(services=build_services(settings, ledger=ledger))) as url:
            yield url
    finally:
        ledger.close()
