"""Which stored event fields are personal data, and whose (DESIGN §10). Pure: no keys, no I/O.

A personal field is sealed under the data key of its *subject*: an account (erased by destroying that
account's key) or, for data that belongs to no account (an address failing logins, an anonymous request), a
UTC day (its key destroyed when the retention period ends). An event's subject is the account it is about:
the account itself, the ``account_id`` it names, or the account a device or session was bound to when it
was created (its *link*); failing that, the account that acted; failing that, the event's day.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

ERASED = "[erased]"
Path = tuple[str, ...]
CONTEXT: tuple[Path, ...] = (("context", "client_ip"), ("context", "user_agent"), ("context", "reason"))

# Personal fields besides the audit context, by event topic.
OWN_FIELDS: dict[str, tuple[Path, ...]] = {
    "domain.account:Account.Registered": (("username",),),
    "domain.device:Device.Bound": (("nickname",),),
    "domain.device:Device.Renamed": (("nickname",),),
    "domain.license:License.Issued": (("note",),),
    "domain.ip_address:IpAddress.Tracked": (("address",),),
    "domain.alert:Alert.Raised": (("subject",),),
    "domain.crash_report:CrashReport.Reported": (("summary",), ("traceback",), ("log_tail",)),
}
# Aggregates whose events are about the account they were created for (their creation event names it).
LINKED_PREFIXES = ("domain.device:Device.", "domain.session:Session.")
# Aggregates whose personal data belongs to no account: sealed under the day's key.
DAY_PREFIXES = ("domain.ip_address:IpAddress.", "domain.alert:Alert.")
ACCOUNT_PREFIX = "domain.account:Account."
ERASURE_TOPIC = "domain.account:Account.Erased"
EXPORT_TOPIC = "domain.account:Account.PersonalDataExported"
# Account events recorded by someone acting *on* the account: their audit context (the actor's address, user
# agent, reason) is the actor's personal data, not the account's, so it is sealed under the actor's key
# (or the day's), survives the account's erasure and stays out of the account's own access export.
ACTOR_KEYED_TOPICS = frozenset({ERASURE_TOPIC, EXPORT_TOPIC})


@dataclass(frozen=True)
class Subject:
    """Whose key seals a field: an account's (``account`` set) or a UTC day's."""

    account: UUID | None = None
    day: date | None = None

    @property
    def key_id(self) -> str:
        return f"account:{self.account}" if self.account is not None else f"day:{self.day}"


@functools.cache
def personal_paths(topic: str) -> tuple[Path, ...]:
    """The personal fields of events of ``topic`` (the audit context's, then the event's own)."""
    return CONTEXT + OWN_FIELDS.get(topic, ())


def account_of(value: Any) -> UUID | None:
    """``value`` as an account id, if it is one (an actor is an account id, ``apikey:...``, ...)."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def link_of(topic: str, state: Mapping[str, Any]) -> UUID | None:
    """The account a device or session belongs to, from its creation event (None for other events)."""
    if topic.startswith(LINKED_PREFIXES) and "account_id" in state:
        return account_of(state["account_id"])
    return None


def owner(
    topic: str, originator_id: UUID, state: Mapping[str, Any], links: Mapping[UUID, UUID]
) -> UUID | None:
    """The account an event is about, if any."""
    if topic.startswith(ACCOUNT_PREFIX) and topic not in ACTOR_KEYED_TOPICS:
        return originator_id
    if topic.startswith(DAY_PREFIXES):
        return None
    if state.get("account_id") is not None:
        return account_of(state["account_id"])
    if topic.startswith(LINKED_PREFIXES):
        return links.get(originator_id)
    return None


def subject(topic: str, originator_id: UUID, state: Mapping[str, Any], links: Mapping[UUID, UUID]) -> Subject:
    """Whose key seals the personal fields of this event."""
    found = owner(topic, originator_id, state, links)
    if found is None and not topic.startswith(DAY_PREFIXES):
        context = state.get("context")
        found = account_of(context.get("actor")) if isinstance(context, Mapping) else None
    if found is not None:
        return Subject(account=found)
    return Subject(day=day_of(state.get("timestamp")))


def day_of(timestamp: Any) -> date:
    """The UTC day of an event's timestamp."""
    if isinstance(timestamp, datetime):
        return timestamp.date()
    return datetime.fromisoformat(str(timestamp)).date()


def is_clear_account_id(topic: str, path: Path, value: Any) -> bool:
    """An alert's subject is an account id (not personal) or an address (personal)."""
    return topic == "domain.alert:Alert.Raised" and path == ("subject",) and account_of(value) is not None
