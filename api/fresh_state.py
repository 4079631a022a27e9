"""The write-model state a bearer request is decided on (its session, its account, the account's licenses)
without a database read on every request: this process keeps a copy of each aggregate tagged with its
change counter, and serves the copy while the counter is unchanged.

Every commit bumps the counters of the aggregates it changed before the command returns (the ledger's
``change_listeners``, in every process that writes), so a ban, logout, revocation, role or license change
made anywhere is seen by the very next request everywhere. The tag is read before the aggregate is loaded,
so a copy is never tagged newer than it is. Fail closed: when the counters cannot be read, the request is
decided on the write model itself. A copy is also dropped after ``MAX_AGE_S`` whatever its tag, bounding
the one case no tag catches (a bump lost with Redis unreachable from the writer and still not resent)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.account import Account
from domain.errors import NotFound
from domain.ledger.service import Ledger
from domain.license import License
from domain.session import Session

MAX_ENTRIES = 100_000
MAX_AGE_S = 60.0
A = TypeVar("A", bound=Aggregate)


class ChangeCounters(Protocol):
    """A counter per aggregate, bumped by each commit that changes it (``adapters.change_counters``)."""

    def bump(self, idents: Sequence[UUID]) -> None: ...

    def read(self, idents: Sequence[UUID]) -> list[str] | None:
        """A tag per aggregate that changes whenever the aggregate does; None when unavailable."""
        ...

    def shared_keys(self, idents: Sequence[UUID]) -> list[str] | None:
        """The Redis keys whose values give the tags of ``idents`` (read beside the request's limit check,
        in the same round trip); None when the counters are not in Redis, or this process still has bumps
        to resend (``read`` sends them)."""
        ...

    def tags(self, values: Sequence[bytes | None]) -> list[str] | None:
        """The tags from the values read at ``shared_keys``, as ``read`` gives them; None when they
        cannot be trusted (then ``read``)."""
        ...


@dataclass(frozen=True)
class _Copy:
    aggregate: Aggregate | None
    tag: str
    at: float


class FreshAggregates:
    """Copies of aggregates, each served while its change counter still reads as it did when loaded.
    The copies are shared between requests: callers read them and never change them."""

    def __init__(self, ledger: Ledger, counters: ChangeCounters) -> None:
        self.ledger, self.counters = ledger, counters
        self._copies: dict[UUID, _Copy] = {}
        self._lock = threading.Lock()

    def forget(self, idents: Sequence[UUID]) -> None:
        """Drops this process's copies (the ledger's change listener, beside the counters' bump)."""
        with self._lock:
            for ident in idents:
                self._copies.pop(ident, None)

    def held(self, ident: UUID) -> Aggregate | None:
        """This process's copy, however old (a guess at what to read next; never a decision)."""
        with self._lock:
            copy = self._copies.get(ident)
        return copy.aggregate if copy is not None else None

    def get(self, idents: Sequence[UUID], tags: Sequence[str] | None = None) -> list[Aggregate | None]:
        """The latest state of each aggregate (None: there is none); ``tags``: their tags, read before this
        call (else they are read now)."""
        tags = self.counters.read(idents) if tags is None else tags
        if tags is None:
            return [self.ledger.find(Aggregate, ident) for ident in idents]
        now = time.monotonic()
        with self._lock:
            found = [self._copies.get(ident) for ident in idents]
        return [
            copy.aggregate
            if copy is not None and copy.tag == tag and now - copy.at < MAX_AGE_S
            else self._load(ident, tag, now)
            for ident, tag, copy in zip(idents, tags, found, strict=True)
        ]

    def _load(self, ident: UUID, tag: str, now: float) -> Aggregate | None:
        aggregate = self.ledger.find(Aggregate, ident)
        with self._lock:
            if len(self._copies) >= MAX_ENTRIES:
                self._copies.clear()
            self._copies[ident] = _Copy(aggregate, tag, now)
        return aggregate


@dataclass(frozen=True)
class ClientState:
    """What a bearer request is decided on: its session, its account, and which of the account's licenses
    are suspended."""

    session: Session | None
    account: Account
    suspended: frozenset[UUID]


def of_type(cls: type[A], found: Aggregate | None) -> A | None:
    return found if isinstance(found, cls) else None


@dataclass(frozen=True)
class ReadAhead:
    """The tags of a bearer request's aggregates, read with its limit check (``api.gate``)."""

    idents: tuple[UUID, ...]
    tags: tuple[str, ...]


def client_idents(fresh: FreshAggregates, session_id: UUID, account_id: UUID) -> tuple[UUID, ...]:
    """The session, the account and the licenses this process last saw the account hold."""
    held = of_type(Account, fresh.held(account_id))
    licenses = tuple(g.license_id for g in held.grants) if held is not None else ()
    return (session_id, account_id, *licenses)


def client_state(
    fresh: FreshAggregates, session_id: UUID, account_id: UUID, ahead: ReadAhead | None = None
) -> ClientState:
    """One counter read for the session, the account and the licenses this process last saw it hold
    (none when ``ahead`` read them for these very aggregates); a second only when the account now holds
    licenses it did not."""
    idents = client_idents(fresh, session_id, account_id)
    tags = ahead.tags if ahead is not None and ahead.idents == idents else None
    session, account, *licenses = fresh.get(idents, tags)
    guessed = list(idents[2:])
    found = of_type(Account, account)
    if found is None:
        raise NotFound("account", account_id)
    wanted = [g.license_id for g in found.grants]
    if wanted != guessed:
        licenses = fresh.get(wanted)
    suspended = frozenset(lic.id for lic in licenses if isinstance(lic, License) and lic.suspended)
    return ClientState(of_type(Session, session), found, suspended)
