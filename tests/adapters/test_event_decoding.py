"""The fast decoder builds exactly the events the library's mapper builds: same class, same state, upcast,
sealed fields opened by the mapper's ``open_fields``, and the mapper itself wherever it cannot be exact."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    Cipher,
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from adapters.event_decoding import FastDecoder, fast_path_usable
from tests.projections.commands import Interpreter
from tests.stores import make_ledger, sqlite_env


def transcoder() -> JSONTranscoder:
    found = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
        found.register(transcoding)
    return found


class Gadget(Aggregate):
    class Renamed(Aggregate.Event):
        """Version 2 added ``note``; version 1 states get an empty one."""

        class_version = 2
        name: str
        note: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["note"] = ""


def renamed(version: int, name: str, note: str) -> Gadget.Renamed:
    fields: dict[str, Any] = {"name": name, "note": note}
    return Gadget.Renamed(
        originator_id=uuid4(), originator_version=version, timestamp=datetime.now(), **fields
    )


def test_same_events_as_the_mapper(tmp_path: Path, now: datetime) -> None:
    """Every stored event of a varied log decodes to the mapper's event (class and every field)."""
    ledger = make_ledger(sqlite_env(tmp_path))
    Interpreter(ledger, now).run(
        [(op, a, b) for a in range(3) for b in range(2) for op in ("register", "issue_activate", "bind")]
        + [("open", 0, 0), ("refresh", 0, 0), ("fail_login", 1, 0), ("ban", 2, 0), ("close", 0, 0)]
    )
    decoder = FastDecoder(ledger.mapper)
    assert fast_path_usable(ledger.mapper)
    stored = ledger.recorder.select_notifications(start=0, limit=10_000)
    assert len(stored) > 20
    for notification in stored:
        fast, slow = decoder.decode(notification), ledger.mapper.to_domain_event(notification)
        assert type(fast) is type(slow)
        assert vars(fast) == vars(slow)
    ledger.close()


def stored_v1(mapper: Mapper[UUID]) -> StoredEvent:
    """A ``Gadget.Renamed`` as version 1 stored it (no ``note``, no ``class_version``)."""
    event = renamed(2, "x", "gone")
    state = dict(vars(event))
    state.pop("note", None)
    originator_id, version = state.pop("originator_id"), state.pop("originator_version")
    return StoredEvent(
        originator_id, version, mapper.to_stored_event(event).topic, mapper.transcoder.encode(state)
    )


def plain_mapper() -> Mapper[UUID]:
    return Mapper(transcoder=transcoder())


def test_upcasts_old_versions() -> None:
    """A version-1 state is upcast to the class's version, as the mapper does."""
    mapper = plain_mapper()
    old = stored_v1(mapper)
    event = FastDecoder(mapper).decode(old)
    assert isinstance(event, Gadget.Renamed)
    assert (event.note, event.name) == ("", "x")
    assert vars(event) == vars(mapper.to_domain_event(old))


class SealingMapper(Mapper[UUID]):
    """A mapper that seals ``name`` and opens it on read (the shape of the personal-data sealing)."""

    def __init__(self) -> None:
        super().__init__(transcoder=transcoder())
        self.opened: list[tuple[str, UUID, int]] = []

    def open_fields(
        self, topic: str, originator_id: UUID, originator_version: int, state: dict[str, Any]
    ) -> None:
        self.opened.append((topic, originator_id, originator_version))
        state["name"] = state["name"].removeprefix("sealed:")

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        vars(event)["name"] = vars(event)["name"].removeprefix("sealed:")
        return event


def test_open_fields_runs_after_upcasting_before_the_event() -> None:
    """A mapper with ``open_fields`` has it called once per event, with the upcast state, and the event
    carries the opened fields."""
    mapper = SealingMapper()
    event = renamed(3, "sealed:n", "")
    stored = mapper.to_stored_event(event)
    decoded = FastDecoder(mapper).decode(stored)
    assert mapper.opened == [(stored.topic, event.originator_id, 3)]
    assert isinstance(decoded, Gadget.Renamed)
    assert decoded.name == "n"


class Reversing(Cipher):
    def __init__(self) -> None:  # no key: a stand-in that proves the cipher runs
        pass

    def encrypt(self, plaintext: bytes) -> bytes:
        return plaintext[::-1]

    def decrypt(self, ciphertext: bytes) -> bytes:
        return ciphertext[::-1]


class OwnBuild(Mapper[UUID]):
    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        vars(event)["name"] = "built by the mapper"
        return event


def test_cipher_or_own_build_goes_through_the_mapper() -> None:
    """A cipher, or a mapper that builds events its own way without ``open_fields``: the mapper decodes."""
    ciphered = Mapper[UUID](transcoder=transcoder(), cipher=Reversing())
    own = OwnBuild(transcoder=transcoder())
    for mapper in (ciphered, own):
        assert not fast_path_usable(mapper)
        event = renamed(1, "a", "")
        decoded = FastDecoder(mapper).decode(mapper.to_stored_event(event))
        assert vars(decoded) == vars(mapper.to_domain_event(mapper.to_stored_event(event)))
    assert vars(FastDecoder(own).decode(own.to_stored_event(event)))["name"] == "built by the mapper"


def test_states_orjson_refuses_go_through_the_mapper() -> None:
    """A number beyond 64 bits (the library's JSON reads it) decodes as the mapper decodes it."""
    mapper = plain_mapper()
    event = renamed(1, "a", "")
    stored = mapper.to_stored_event(event)
    state = stored.state.replace(b'"note":""', b'"note":"","big":123456789012345678901234567890')
    huge = StoredEvent(stored.originator_id, stored.originator_version, stored.topic, state)
    assert vars(FastDecoder(mapper).decode(huge))["big"] == 123456789012345678901234567890
