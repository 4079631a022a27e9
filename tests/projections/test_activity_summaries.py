"""The activity feed's summaries are filled from an event's own fields."""

from __future__ import annotations

from string import Formatter

from projections.activity import SUMMARIES


def test_no_summary_names_the_context() -> None:
    """No summary names the audit context (``describe`` hands the template every field of the event)."""
    named = {name for template in SUMMARIES.values() for _, name, _, _ in Formatter().parse(template) if name}
    assert "context" not in {name.split(".")[0].split("[")[0] for name in named}
