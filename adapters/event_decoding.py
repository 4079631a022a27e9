"""Stored events to domain events without the library mapper's per-event overhead: the state is parsed
with ``orjson``, the transcoder's ``{"_type_", "_data_"}`` objects are revived inner first (what the
library's ``object_hook`` does), upcasting (``class_version``) runs as in ``Mapper.to_domain_event``, and a
mapper that seals fields (``open_fields``) opens them before the event is built. Whatever this path cannot
do exactly as the mapper would (a cipher, a compressor, another transcoder, a mapper that builds events its
own way, a state ``orjson`` will not parse or would read otherwise: integers beyond 64 bits) goes through
the mapper itself."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Protocol, cast
from uuid import UUID

import orjson
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, find_id_convertor
from eventsourcing.utils import resolve_topic

# orjson reads an integer beyond 64 bits as a float (the library's JSON as an int): a state with an integral
# float that large goes through the mapper.
BEYOND_64_BITS = 2.0**63


class FieldOpener(Protocol):
    """A mapper that stores some fields sealed and opens them on read, in place."""

    def open_fields(
        self, topic: str, originator_id: UUID, originator_version: int, state: dict[str, Any]
    ) -> None: ...


def fast_path_usable(mapper: Any) -> bool:
    """Whether ``FastDecoder`` builds exactly the events ``mapper.to_domain_event`` would."""
    if getattr(mapper, "cipher", None) or getattr(mapper, "compressor", None):
        return False
    if type(getattr(mapper, "transcoder", None)) is not JSONTranscoder:
        return False
    own_build = getattr(type(mapper), "to_domain_event", None) is Mapper.to_domain_event
    return own_build or callable(getattr(mapper, "open_fields", None))


class FastDecoder:
    """``decode(stored)`` returns the domain event ``mapper.to_domain_event(stored)`` would."""

    def __init__(self, mapper: Any) -> None:
        self._mapper = mapper
        self._usable = fast_path_usable(mapper)
        transcoder = mapper.transcoder
        self._names = transcoder.names if isinstance(transcoder, JSONTranscoder) else {}
        opener = getattr(mapper, "open_fields", None)
        self._open: Callable[[str, Any, int, dict[str, Any]], None] | None = (
            cast(FieldOpener, mapper).open_fields if callable(opener) else None
        )
        self._classes: dict[str, tuple[type[Any], int]] = {}

    def decode(self, stored: StoredEvent) -> Any:
        return self.decode_fields(stored.topic, stored.originator_id, stored.originator_version, stored.state)

    def decode_fields(self, topic: str, originator_id: Any, version: int, state_bytes: bytes) -> Any:
        """The event of one stored row's fields (originator id as the recorder reads it)."""
        if not self._usable:
            return self._mapper.to_domain_event(StoredEvent(originator_id, version, topic, state_bytes))
        try:
            state = self._revive(orjson.loads(state_bytes))
        except Exception:  # the mapper decodes it (NaN, huge integers) or raises its own error
            return self._mapper.to_domain_event(StoredEvent(originator_id, version, topic, state_bytes))
        cls, class_version = self._class(topic)
        convert = find_id_convertor(cast(Hashable, cls), cast(Hashable, type(originator_id)))
        state["originator_id"] = originator_id = convert(originator_id)
        state["originator_version"] = version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        if self._open is not None:
            self._open(topic, originator_id, version, state)
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event

    def _class(self, topic: str) -> tuple[type[Any], int]:
        found = self._classes.get(topic)
        if found is None:
            cls = resolve_topic(topic)
            found = self._classes[topic] = (cls, getattr(cls, "class_version", 1))
        return found

    def _revive(self, value: Any) -> Any:
        """Transcoded objects back to their types, innermost first, as ``object_hook`` does."""
        if type(value) is dict:
            names = self._names
            for key, item in value.items():
                kind = type(item)
                if kind is dict:
                    data = item.get("_data_") if len(item) == 2 else None
                    if type(data) is str and "_type_" in item:  # the usual leaf: uuid, datetime, decimal
                        value[key] = names[item["_type_"]].decode(data)
                    else:
                        value[key] = self._revive(item)
                elif kind is list:
                    value[key] = self._revive(item)
                elif kind is float:
                    _exact(item)
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return names[value["_type_"]].decode(value["_data_"])
            return value
        if type(value) is list:
            return [self._revive(item) if type(item) in (dict, list, float) else item for item in value]
        if type(value) is float:
            _exact(value)
        return value


def _exact(number: float) -> None:
    """Raises for a float that may be an integer orjson could not hold (the mapper then decodes)."""
    if number.is_integer() and abs(number) >= BEYOND_64_BITS:
        raise OverflowError("an integer beyond 64 bits")
