"""``keyledger-audit replay``: the state of every aggregate (or one) after the first N leaves of an
export, or as it was at a moment — each aggregate replayed to its last event at or before that time.
Decodes the leaf bytes with the event classes their stored topics name (the ``keyledger`` package's
domain, imported by topic at run time, never by this package); never reads the export's JSON rendering."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.utils import TopicError

from keyledger_verifier.export import records
from keyledger_verifier.leaves import decode_leaf
from keyledger_verifier.state import aggregate_state


class EventClassesMissing(Exception):
    """A stored topic names an event class that is not installed here."""


def event_mapper() -> Mapper[UUID]:
    """The ledger's mapper: the transcodings ``eventsourcing.Application`` registers by default."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


class Replay:
    """Aggregates built from events in seal order (which is each aggregate's version order)."""

    def __init__(self, at: datetime | None) -> None:
        self.at = at
        self.aggregates: dict[UUID, Aggregate] = {}
        self._later: dict[UUID, list[Any]] = {}

    def apply(self, event: Any) -> None:
        ident: UUID = event.originator_id
        if self.at is not None and event.timestamp > self.at:
            self._later.setdefault(ident, []).append(event)  # applied only if an earlier one follows
            return
        for held in [*self._later.pop(ident, []), event]:
            self.aggregates[ident] = held.mutate(self.aggregates.get(ident))

    def states(self, aggregate: UUID | None) -> dict[str, Any]:
        chosen = [aggregate] if aggregate is not None else list(self.aggregates)
        return {str(i): aggregate_state(self.aggregates[i]) for i in chosen if i in self.aggregates}


def replay(
    stream: Iterable[bytes], *, size: int | None, at: datetime | None, aggregate: UUID | None
) -> dict[str, Any]:
    """``{"leaves": n, "aggregates": {id: state}}`` after ``size`` leaves or as of ``at``."""
    mapper, state, read = event_mapper(), Replay(at), 0
    for index, leaf_bytes in records(stream):
        if size is not None and index >= size:
            break
        leaf = decode_leaf(leaf_bytes)
        stored = StoredEvent(UUID(leaf.originator_id), leaf.originator_version, leaf.topic, leaf.state)
        try:
            event = mapper.to_domain_event(stored)
        except TopicError:
            raise EventClassesMissing(
                f"replay needs the event classes of the server that wrote the export: {leaf.topic} is not "
                "installed (pip install the keyledger package beside keyledger-verifier)"
            ) from None
        state.apply(event)
        read = index + 1
    return {"leaves": read, "aggregates": state.states(aggregate)}
