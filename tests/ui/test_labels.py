"""What the admin pages show instead of stored codes: a translated label for every event and every enum
value; times relative, in the reader's zone (a cookie value that is not a zone is ignored); chart axes
with round gridlines."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.ui import i18n, times
from api.ui.charts import bar_chart, grid
from api.ui.enums import ENUMS, label
from api.ui.events import EVENT_LABELS
from domain.alert import AlertKind
from domain.license import LicenseStatus
from domain.roles import Role
from domain.session import CloseReason, SessionKind
from tests.test_event_catalogue import event_classes

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_every_stored_event_has_a_label() -> None:
    """Each event class the ledger stores has a readable name (the feed and audit pages use them)."""
    stored = {topic.split(":", 1)[1] for topic in event_classes()}
    assert stored - set(EVENT_LABELS) == set()


@pytest.mark.parametrize(
    ("group", "values"),
    [
        ("role", Role),
        ("tier", Role),
        ("status", LicenseStatus),
        ("kind", SessionKind),
        ("reason", CloseReason),
        ("alert", AlertKind),
    ],
)
def test_every_enum_value_has_a_label(group: str, values: type) -> None:
    """Each value of a stored enum is labelled, and the label is translated into Korean."""
    korean = i18n.translations("ko").gettext
    for value in values:  # type: ignore[attr-defined]
        assert value.value in ENUMS[group]
        assert label(korean, value, group) != value.value


def test_every_aggregate_has_a_label() -> None:
    """Each aggregate named in an event type has a readable name."""
    aggregates = {kind.split(".", 1)[0] for kind in EVENT_LABELS}
    assert aggregates - set(ENUMS["aggregate"]) == set()


def test_an_unknown_value_is_shown_as_it_is() -> None:
    """A value the pages do not know yet is shown unchanged rather than hidden."""
    assert label(str, "brand-new", "status") == "brand-new"


@pytest.mark.parametrize(
    ("cookie", "zone"),
    [("Asia/Seoul", "Asia/Seoul"), ("Evil/<script>", "UTC"), ("", "UTC"), (None, "UTC"), ("x" * 65, "UTC")],
)
def test_the_zone_cookie_is_used_only_when_it_names_a_zone(cookie: str | None, zone: str) -> None:
    """An IANA zone name is used; anything else means UTC."""
    assert str(times.zone_of(cookie)) == zone


def test_a_time_is_relative_with_the_exact_times_on_hover() -> None:
    """The text is relative ("3분 전"); the title gives the local time with its zone, then UTC."""
    shown = times.moment(NOW - timedelta(minutes=3), "ko", times.zone_of("Asia/Seoul"), NOW)
    assert ">3분 전</time>" in shown
    assert 'datetime="2026-11-01T11:57:00Z"' in shown
    assert 'title="2026년 11월 1일 20:57:00 (Asia/Seoul) · 2026년 11월 1일 11:57:00 UTC"' in shown
    assert times.moment(None, "ko", UTC, NOW) == "—"


@given(st.integers(min_value=0, max_value=10**9))
def test_chart_gridlines_are_round_and_cover_the_largest_value(top: int) -> None:
    """The axis reaches the largest value with at most six evenly spaced lines."""
    ceiling, lines = grid(top)
    assert ceiling >= top
    assert 2 <= len(lines) <= 6
    assert len({b - a for a, b in itertools.pairwise(lines)}) == 1


def test_a_chart_labels_its_axis_and_its_bars() -> None:
    """Gridlines with their values, the value above each bar that has one, spaced category labels."""
    chart = bar_chart("t", [f"{h:02}" for h in range(24)], [0] * 23 + [7])
    assert chart.svg.count('class="grid"') == 5
    assert '<text class="value"' in chart.svg
    assert chart.svg.count('<text class="axis" x=') == 5 + 6
    assert chart.rows[-1] == ("23", 7)
