"""What every projection is: a name, its tables, and a handler per event type that writes rows in the
transaction it is given (the runner records the tracking position in that same transaction)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from projections.store import Tx

Handler = Callable[[Tx, Any, int], None]


def stamp(moment: datetime | None) -> str | None:
    """A timestamp as fixed-width UTC text, so text order is time order on every store."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:
        return _utc_text(moment)
    text = _UTC_TEXTS.get(moment)
    if text is None:  # each event's time is stamped by several read models: once is enough
        if len(_UTC_TEXTS) >= STAMPS_KEPT:
            _UTC_TEXTS.clear()
        text = _UTC_TEXTS[moment] = _utc_text(moment)
    return text


# Texts of recent UTC moments (equal UTC datetimes are one instant, so one text).
STAMPS_KEPT = 4096
_UTC_TEXTS: dict[datetime, str] = {}


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # a query bound past the calendar's ends: the end it is past
        return "0001-01-01T00:00:00.000000Z" if moment.year < 5000 else "9999-12-31T23:59:59.999999Z"
    if utc.year >= 1000:  # the same text as the strftime below, several times faster
        return f"{utc.replace(tzinfo=None).isoformat(timespec='microseconds')}Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    """The moment a ``stamp`` names."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def text_time(moment: datetime) -> str:
    """``stamp`` of a moment that is always there."""
    return stamp(moment) or ""


def context_of(event: Any) -> dict[str, Any]:
    context = getattr(event, "context", None)
    return context if isinstance(context, dict) else {}


@dataclass(frozen=True)
class Projection:
    """A read model: ``ddl`` creates its tables; ``handlers`` maps event classes to row writers, and
    ``every_event`` (if set) handles the rest."""

    name: str
    ddl: Sequence[str]
    handlers: dict[type[Any], Handler]
    tables: Sequence[str]
    every_event: Handler | None = None

    def apply(self, tx: Tx, event: Any, position: int) -> None:
        handler = self.handlers.get(type(event), self.every_event)
        if handler is not None:
            handler(tx, event, position)
