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
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
