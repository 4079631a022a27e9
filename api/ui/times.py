"""Times for the reader: relative ("3분 전"), with the exact time in the reader's time zone and in UTC on
hover. The zone is the browser's, which app.js sends once in the ``keyledger_tz`` cookie; a value that is
not an IANA zone name is ignored (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_datetime, format_timedelta
from markupsafe import Markup

from api.ui.i18n import TIME_PATTERNS, as_time

TZ_COOKIE = "keyledger_tz"
MAX_ZONE = 64


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_of(cookie: str | None) -> tzinfo:
    """The reader's zone from the cookie, or UTC when it is absent or not a known zone name."""
    if cookie and len(cookie) <= MAX_ZONE and cookie in known_zones():
        return ZoneInfo(cookie)
    return UTC


def exact(found: datetime, locale: str, zone: tzinfo) -> str:
    pattern = TIME_PATTERNS.get(locale, "medium")
    return format_datetime(found, pattern, tzinfo=zone, locale=locale)


def relative(found: datetime, now: datetime, locale: str) -> str:
    return format_timedelta(found - now, add_direction=True, threshold=0.9, locale=locale)


def moment(value: str | datetime | None, locale: str, zone: tzinfo, now: datetime) -> Markup:
    """A ``<time>`` element: relative text, ISO ``datetime``, exact local and UTC times in its title."""
    found = as_time(value)
    if found is None:
        return Markup("—")
    local = exact(found, locale, zone)
    utc = exact(found, locale, UTC) + " UTC"
    title = utc if zone is UTC else f"{local} ({zone}) · {utc}"
    return Markup('<time datetime="{iso}" title="{title}">{text}</time>').format(
        iso=found.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        title=title,
        text=relative(found, now, locale),
    )
