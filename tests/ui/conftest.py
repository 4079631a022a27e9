"""Fixtures shared by the browser suites."""

from tests.ui.chromium import browser

__all__ = ["browser"]
