"""Form fields of the admin pages: each parser returns the value or records an error key for the field
(shown next to it, in the reader's language)."""

from __future__ import annotations

from datetime import UTC, datetime

from api.ui.pages import Page

MAX_TEXT = 500


def text(page: Page, name: str, *, required: bool = True, limit: int = MAX_TEXT) -> str | None:
    value = page.text(name)
    if not value:
        if required:
            page.errors[name] = "required"
        return None
    if len(value) > limit or "\x00" in value:
        page.errors[name] = "too_long" if len(value) > limit else "invalid_input"
        return None
    return value


def whole(page: Page, name: str, low: int = 0, high: int = 100_000) -> int | None:
    raw = page.text(name)
    if not raw.isdigit() or not low <= int(raw) <= high:
        page.errors[name] = "required" if not raw else "not_a_number"
        return None
    return int(raw)


def moment(page: Page, name: str) -> datetime | None:
    """An optional date and time (``datetime-local``, read as UTC)."""
    raw = page.text(name)
    if not raw:
        return None
    try:
        found = datetime.fromisoformat(raw)
    except ValueError:
        page.errors[name] = "not_a_time"
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)
