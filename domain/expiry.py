"""License expiry arithmetic, pure and with ``now`` passed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.errors import InvalidInput

MAX_DAYS = 3650


@dataclass(frozen=True)
class Grant:
    """Days of license time a license gave an account at a moment (activation or extension)."""

    license_id: UUID
    at: datetime
    days: int


def extend(expiry: datetime | None, days: int, now: datetime) -> datetime:
    """``days`` more from the current expiry if it is still valid, else from ``now``."""
    start = expiry if expiry is not None and expiry > now else now
    return start + timedelta(days=days)


def expiry_of(grants: Iterable[Grant]) -> datetime | None:
    """The expiry that applying ``grants`` in order produces (None when there are none)."""
    expiry: datetime | None = None
    for grant in grants:
        expiry = extend(expiry, grant.days, grant.at)
    return expiry


def check_end(until: datetime | None) -> None:
    """An end time (of a ban, a block) carries its UTC offset and lies within the calendar in UTC."""
    if until is None:
        return
    if until.tzinfo is None:
        raise InvalidInput("until", "give a time with its UTC offset")
    try:
        until.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("until", "too far in the future") from None
