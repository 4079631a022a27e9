"""Personal fields stored as AEAD ciphertext under their subject's data key (``domain/personal.py`` says
which fields and whose), opened on the way back, ``[erased]`` once the key is destroyed.

A sealed value is a string of one shape, which the verifier recognises without our keys:

    kl-sealed/v1:<key id>:<base64url(nonce (12) ‖ AES-256-GCM ciphertext and tag)>

The associated data binds it to its event and field: ``originator id | version | field path | key id``,
so a value copied onto another event, field or key does not open. Leaves of the Merkle tree hash the stored
state, so they commit to the ciphertext: destroying a key changes no stored byte and breaks no proof.
Values stored in clear before sealing existed are read as they are (no class version changed: only the
stored form of values did).
"""

from __future__ import annotations

import base64
import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic
from keyledger_verifier.sealed_values import SEALED_PREFIX

from adapters.personal_keys import PersonalKeyError, PersonalKeys
from domain import personal

PREFIX = SEALED_PREFIX
LINKS_KEPT = 100_000  # device and session links held in memory (about 25 MB), the most recently used


class SealedValueDamaged(ValueError):
    """A sealed value whose key exists but which does not open: altered or moved bytes."""


def associated_data(originator_id: UUID, version: int, path: personal.Path, key_id: str) -> bytes:
    return f"{originator_id}|{version}|{_dotted(path)}|{key_id}".encode()


@functools.lru_cache(maxsize=256)
def _dotted(path: personal.Path) -> str:
    return ".".join(path)


@functools.lru_cache(maxsize=4096)
def _aead(key: bytes) -> AESGCM:
    return AESGCM(key)


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class AccountLinks(Mapping[UUID, UUID]):
    """Device or session id -> the account it was created for, which seals its later events. The most
    recently used ``kept`` links stay in memory; a link asked for and not held is read from the aggregate's
    first stored event (``first_events``, once the store is known), so a process that runs for months
    holds a bounded number and never seals an event under another key for want of one."""

    def __init__(self, kept: int = LINKS_KEPT) -> None:
        self.kept = kept
        self._held: OrderedDict[UUID, UUID] = OrderedDict()
        self._lock = threading.Lock()
        # Reads an aggregate's first event back through the mapper (which remembers its link).
        self.first_events: Callable[[UUID], Sequence[object]] | None = None

    def remember(self, ident: UUID, account: UUID) -> None:
        with self._lock:
            self._held[ident] = account
            self._held.move_to_end(ident)
            while len(self._held) > self.kept:
                self._held.popitem(last=False)

    def _held_link(self, ident: UUID) -> UUID | None:
        with self._lock:
            found = self._held.get(ident)
            if found is not None:
                self._held.move_to_end(ident)
            return found

    def __getitem__(self, ident: UUID) -> UUID:
        found = self._held_link(ident)
        if found is None and self.first_events is not None:
            self.first_events(ident)
            found = self._held_link(ident)
        if found is None:
            raise KeyError(ident)
        return found

    def __iter__(self) -> Iterator[UUID]:
        with self._lock:
            return iter(list(self._held))

    def __len__(self) -> int:
        return len(self._held)


class SealingMapper(Mapper[UUID]):
    """A mapper that seals personal fields on the way to the store and opens them on the way back."""

    def __init__(self, transcoder: Transcoder, **kwargs: Any) -> None:
        super().__init__(transcoder, **kwargs)
        self._keys: PersonalKeys | None = None  # attached once the ledger's database is known
        self.links = AccountLinks()

    def attach(self, keys: PersonalKeys, first_events: Callable[[UUID], Sequence[StoredEvent]]) -> None:
        """The key table, and a way to read an aggregate's first stored event (for a link not held)."""
        self._keys = keys
        self.links.first_events = lambda ident: [self.to_domain_event(e) for e in first_events(ident)]

    @property
    def keys(self) -> PersonalKeys:
        if self._keys is None:
            raise PersonalKeyError("personal-data keys were never attached to the sealing mapper")
        return self._keys

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        topic = get_topic(type(domain_event))
        state = dict(vars(domain_event))
        self._remember_link(topic, domain_event.originator_id, state)
        sealed = self.seal_fields(topic, domain_event.originator_id, domain_event.originator_version, state)
        if sealed is None:
            return super().to_stored_event(domain_event)
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", sealed)
        return super().to_stored_event(copy)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = super().to_domain_event(stored_event)
        originator_id = domain_event.originator_id
        self.open_fields(
            stored_event.topic, originator_id, stored_event.originator_version, vars(domain_event)
        )
        return domain_event

    def seal_fields(
        self, topic: str, originator_id: UUID, version: int, state: dict[str, Any]
    ) -> dict[str, Any] | None:
        """A copy of ``state`` with every personal value sealed; None when it holds none."""
        found = [(p, v) for p in personal.personal_paths(topic) if (v := field_value(state, p)) is not None]
        found = [(p, v) for p, v in found if not personal.is_clear_account_id(topic, p, v)]
        if not found:
            return None
        key_id = personal.subject(topic, originator_id, state, self.links).key_id
        key = self.keys.data_key(key_id, create=True)
        copy = dict(state)
        if isinstance(state.get("context"), dict):  # the one nested mapping: copied, never changed in place
            copy["context"] = dict(state["context"])
        for path, value in found:
            _set(copy, path, self._seal(key, key_id, originator_id, version, path, value))
        return copy

    def _seal(
        self,
        key: bytes | None,
        key_id: str,
        originator_id: UUID,
        version: int,
        path: personal.Path,
        value: Any,
    ) -> str:
        if key is None:  # the subject was erased before this event: store nothing of theirs
            return personal.ERASED
        nonce = os.urandom(12)
        aad = associated_data(originator_id, version, path, key_id)
        sealed = nonce + _aead(key).encrypt(nonce, str(value).encode(), aad)
        return f"{PREFIX}{key_id}:{base64.urlsafe_b64encode(sealed).decode().rstrip('=')}"

    def open_fields(
        self, topic: str, originator_id: UUID, originator_version: int, state: dict[str, Any]
    ) -> None:
        """Opens the sealed personal fields of a decoded event state in place (``[erased]`` where the key
        was destroyed) and records the account a device or session belongs to."""
        self._remember_link(topic, originator_id, state)
        event_id: str | None = None
        for path in personal.personal_paths(topic):
            value = field_value(state, path)
            if is_sealed(value):
                event_id = event_id or f"{originator_id}|{originator_version}|"
                _set(state, path, self._open(event_id, path, value))

    def _open(self, event_id: str, path: personal.Path, value: str) -> str:
        key_id, _, body = value[len(PREFIX) :].rpartition(":")
        key = self.keys.data_key(key_id, create=False)
        if key is None:
            return personal.ERASED
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        aad = f"{event_id}{_dotted(path)}|{key_id}".encode()
        try:
            opened = _aead(key).decrypt(raw[:12], raw[12:], aad)
        except InvalidTag:
            raise SealedValueDamaged(f"{_dotted(path)} of event {event_id} does not open") from None
        return opened.decode()

    def _remember_link(self, topic: str, originator_id: UUID, state: Mapping[str, Any]) -> None:
        account = personal.link_of(topic, state)
        if account is not None:
            self.links.remember(originator_id, account)


def field_value(state: Mapping[str, Any], path: personal.Path) -> Any:
    value: Any = state
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def _set(state: dict[str, Any], path: personal.Path, value: Any) -> None:
    target = state
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
