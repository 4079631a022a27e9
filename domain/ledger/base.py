"""The ledger's plumbing shared by every use case: loading aggregates as domain errors, saving them
atomically, reporting the position written, and retrying on a concurrent write."""

from __future__ import annotations

import base64
import functools
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, ParamSpec, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper, Recording

from domain.credentials import PasswordHasher
from domain.digests import Digests
from domain.errors import ConcurrencyExhausted, NotFound
from domain.idempotency import IdempotencyRecord, check_idempotency_key
from domain.index import IndexEntry, IndexKind

log = logging.getLogger("keyledger.ledger")
T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)
C = TypeVar("C")
P = ParamSpec("P")
CONFLICT_ATTEMPTS = 20


@dataclass(frozen=True)
class Written(Generic[T]):
    """A command's result and the notification id of the last event it appended (None: nothing new)."""

    value: T
    position: int | None
    replayed: bool = False


@dataclass
class _Attempt:
    """One run of a command. With ``cached`` on (the first run, where the event store checks reads), an
    aggregate found in the cache is used as it is, without asking the store for newer events; its version
    is noted in ``reads`` and the next commit's transaction checks, under the table lock, that nothing was
    stored after it (else the commit conflicts and the command runs again on fresh state)."""

    cached: bool
    reads: dict[UUID, int] = field(default_factory=dict)  # served from the cache, not yet checked
    committed: bool = False
    replay: list[bytes] = field(default_factory=list)  # the last run's random draws, to draw again
    drawn: list[bytes] = field(default_factory=list)

    def unchecked(self) -> bool:
        """The run ended on state from the cache that no commit checked: its outcome may be stale."""
        return bool(self.reads)

    def draw(self, n: int, entropy: Callable[[int], bytes]) -> bytes:
        """``n`` random bytes: those the last run drew at this point if it drew ``n`` there, so a run again
        makes the same ids and secrets as the run before (that stored nothing under them); else fresh."""
        value = self.replay.pop(0) if self.replay and len(self.replay[0]) == n else entropy(n)
        self.drawn.append(value)
        return value

    def next(self, *, cached: bool) -> _Attempt:
        """The next run: it draws this one's random bytes again unless this one committed something."""
        return _Attempt(cached=cached, replay=[] if self.committed else list(self.drawn))


_attempt: ContextVar[_Attempt | None] = ContextVar("keyledger_command_attempt", default=None)


def retried(method: Callable[P, Written[T]]) -> Callable[P, Written[T]]:
    """Runs a use case again on fresh state when a concurrent write beat it to an aggregate, or when it
    ended (returned or raised) on cached state that no commit checked."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Written[T]:
        if _attempt.get() is not None:  # called by a command: that command's runs cover this call
            return method(*args, **kwargs)
        checks_reads = bool(getattr(args[0], "checks_reads", False))
        attempt = _Attempt(cached=False)
        for run in range(CONFLICT_ATTEMPTS):
            attempt = attempt.next(cached=checks_reads and run == 0)
            token = _attempt.set(attempt)
            try:
                result = method(*args, **kwargs)
            except IntegrityError:
                continue
            except Exception:
                if attempt.unchecked():  # nothing was committed: decide again on fresh state
                    continue
                raise
            finally:
                _attempt.reset(token)
            if not attempt.unchecked():
                return result
        raise ConcurrencyExhausted("too many concurrent changes; try again")

    return wrapper


def request_digest(digests: Digests, request: dict[str, Any]) -> str:
    """A keyed digest of a command's arguments, to tell a retry from a different request (keyed: the
    arguments may be personal data, such as a username)."""
    return digests.digest("idempotency-request", json.dumps(request, sort_keys=True, default=str))


def private_copy(aggregate: C) -> C:
    """A copy of ``aggregate`` a command may change without touching the original (the cached one).

    Instead of the library's ``deepcopy`` (a tenth of a command's CPU): the attributes, with every list,
    dict and set one level deep copied, and the library's pending events in a list of their own (it
    empties that list in place). The values inside our aggregates' containers are immutable (ids,
    strings, frozen dataclasses); ``test_private_copy`` keeps that true for every aggregate class."""
    clone = object.__new__(type(aggregate))
    state = clone.__dict__
    for name, value in aggregate.__dict__.items():
        state[name] = value.copy() if isinstance(value, list | dict | set) else value
    return clone


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's ``project_aggregate`` without its per-event runtime-protocol assertion."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class LedgerBase(Application[UUID]):
    """An eventsourcing application holding the keys, hasher and randomness its use cases need."""

    name = "keyledger"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        digests: Digests,
        hasher: PasswordHasher,
        entropy: Callable[[int], bytes] = secrets.token_bytes,
        mapper_class: type[Mapper[UUID]] | None = None,
    ) -> None:
        self.mapper_class = mapper_class  # e.g. one that seals personal fields (read by construct_mapper)
        super().__init__(env)
        self.digests = digests
        self.hasher = hasher
        self.entropy = entropy
        self.listeners: list[Callable[[int], None]] = []
        # Told the ids of the aggregates a commit changed, before the command returns (caches of
        # aggregates read on every request are invalidated here, in this process and beyond it).
        self.change_listeners: list[Callable[[list[UUID]], None]] = []
        # Resources built beside the ledger (e.g. its personal-data key table's connections), closed with it.
        self.closers: list[Callable[[], None]] = []
        # Commands may use cached aggregates without asking the store for newer events when the store
        # checks, as it commits, that none was stored since (``adapters.group_commit``).
        self.checks_reads = self.repository.cache is not None and bool(
            getattr(self.recorder, "checks_reads", False)
        )

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=self.mapper_class)

    def close(self) -> None:
        for close in self.closers:
            close()
        super().close()

    def _random(self, n: int) -> bytes:
        attempt = _attempt.get()
        return self.entropy(n) if attempt is None else attempt.draw(n, self.entropy)

    def new_id(self) -> UUID:
        raw = bytearray(self._random(16))
        raw[6], raw[8] = (raw[6] & 0x0F) | 0x40, (raw[8] & 0x3F) | 0x80
        return UUID(bytes=bytes(raw))

    def new_secret(self) -> str:
        return base64.urlsafe_b64encode(self._random(32)).rstrip(b"=").decode()

    def _get(self, ident: UUID) -> Aggregate:
        """The aggregate for a command to change: a private copy when it came through the cache (as it
        is cached during a command's checked run, else brought up to date from the store first)."""
        cache = self.repository.cache
        attempt = _attempt.get()
        if cache is not None and attempt is not None and attempt.cached and not attempt.committed:
            try:
                cached = cast(Aggregate, cache.get(ident))
            except KeyError:
                pass
            else:
                # The version before the copy: the copy is at least this new, so checking that nothing
                # follows this version also catches a copy taken while another thread updated it.
                attempt.reads[ident] = cached.version
                return private_copy(cached)
        found: Aggregate = self.repository.get(ident, projector_func=replay, deepcopy_from_cache=False)
        return private_copy(found) if cache is not None else found

    def load(self, cls: type[A], ident: UUID, kind: str) -> A:
        """The aggregate, or ``NotFound`` (also when the id names an aggregate of another kind)."""
        try:
            found: Aggregate = self._get(ident)
        except AggregateNotFoundError:
            raise NotFound(kind, ident) from None
        if not isinstance(found, cls):
            raise NotFound(kind, ident)
        return found

    def find(self, cls: type[A], ident: UUID) -> A | None:
        try:
            found: Aggregate = self._get(ident)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, cls) else None

    def index_id(self, kind: IndexKind, value: str) -> UUID:
        return self.digests.index_id(f"index/{kind.value}", value)

    def lookup(self, kind: IndexKind, value: str) -> UUID | None:
        entry = self.find(IndexEntry, self.index_id(kind, value))
        return entry.target_id if entry is not None else None

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's ``save``, collecting our aggregates' events without its runtime-protocol
        ``isinstance`` (which walks the protocol's attributes on every call: about a twentieth of a
        command's CPU), and leaving each saved aggregate in the cache at the version it was saved (the
        library does not when the cache fast-forwards, so the next command on a new session or account
        replayed it from its first event)."""
        processing = ProcessingEvent[UUID]()
        for obj in objs:
            if isinstance(obj, Aggregate):
                processing.events.extend(obj.collect_events())
                processing.aggregates[obj.id] = obj
            elif obj is not None:
                processing.collect_events(obj)
        processing.saved_kwargs.update(kwargs)
        attempt = _attempt.get()
        if attempt is not None and processing.events:
            if attempt.cached:
                # Stored versions that would make this run's cached reads stale: the store refuses the
                # save (a conflict, so the command runs again) if it holds any of them.
                processing.saved_kwargs["reads"] = [(i, v + 1) for i, v in attempt.reads.items()]
            # Handed over before the write: should it fail otherwise than by a conflict, the command
            # is not run again (the write may have been committed).
            attempt.committed = True
            attempt.reads.clear()
        recordings = self._record(processing)
        cache = self.repository.cache
        if cache is not None and self.repository.fastforward:
            for aggregate_id, aggregate in processing.aggregates.items():
                # A copy: the command still holds its instance. Never over a newer one a faster thread
                # left; fast-forwarding brings it up to date should another process have written since.
                try:
                    newer = cache.get(aggregate_id).version >= aggregate.version
                except KeyError:
                    newer = False
                if not newer:
                    cache.put(aggregate_id, private_copy(aggregate))
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)  # the library's deprecated hook, called as its save does
        return recordings

    def commit(self, value: T, *aggregates: Aggregate | None) -> Written[T]:
        """Saves every pending event of ``aggregates`` in one transaction."""
        recordings = self.save(*aggregates)
        position = max((r.notification.id for r in recordings), default=None)
        if position is not None:
            changed = list(dict.fromkeys(r.domain_event.originator_id for r in recordings))
            calls = [functools.partial(hear, changed) for hear in self.change_listeners]
            calls += [functools.partial(hear, position) for hear in self.listeners]
            for call in calls:
                try:
                    call()
                except Exception:  # the write is committed; a failing listener must not turn it into an error
                    log.exception("a ledger listener failed")
        return Written(value, position)

    def previous_result(
        self, key: str | None, principal: str, command: str, request: dict[str, Any]
    ) -> tuple[UUID | None, dict[str, Any] | None]:
        """The id an idempotency record would have, and the result it holds if the command ran before."""
        if key is None:
            return None, None
        record_id = self.digests.index_id(
            "idempotency", f"{principal}|{command}|{check_idempotency_key(key)}"
        )
        record = self.find(IdempotencyRecord, record_id)
        if record is None:
            return record_id, None
        return record_id, record.replay(command, request_digest(self.digests, request))

    def remember(
        self,
        record_id: UUID | None,
        command: str,
        request: dict[str, Any],
        result: dict[str, Any],
        now: datetime,
    ) -> IdempotencyRecord | None:
        """The idempotency record to save with a command's events (None when no key was given)."""
        if record_id is None:
            return None
        return IdempotencyRecord.record(
            record_id=record_id,
            command=command,
            request_digest=request_digest(self.digests, request),
            result=result,
            now=now,
        )
