"""IP address use cases: block with an optional end, unblock, and whether an address is blocked."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.context import AuditContext
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ledger.service import Ledger
from tests.ledger.scenarios import head, last_event

HOUR = timedelta(hours=1)


def test_a_block_ends_at_its_expiry(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A block with an end applies until that moment and not from it on."""
    written = ledger.block_ip("198.51.100.7", now + HOUR, now, ctx)
    assert (written.value, written.position) == ("198.51.100.7", head(ledger))
    assert ledger.is_blocked("198.51.100.7", now + HOUR - timedelta(seconds=1))
    assert not ledger.is_blocked("198.51.100.7", now + HOUR)
    assert not ledger.is_blocked("198.51.100.8", now)


def test_a_block_without_end_lasts_until_unblocked(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A block with no end applies until an admin unblocks the address."""
    ledger.block_ip("198.51.100.7", None, now, ctx)
    assert ledger.is_blocked("198.51.100.7", now + 1000 * HOUR)
    ledger.unblock_ip("198.51.100.7", now, ctx)
    assert not ledger.is_blocked("198.51.100.7", now)


def test_ipv6_clients_are_blocked_per_64(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Blocking an IPv6 address blocks its whole /64, and nothing outside it."""
    assert ledger.block_ip("2001:db8:0:1::7", None, now, ctx).value == "2001:db8:0:1::/64"
    assert ledger.is_blocked("2001:db8:0:1:ffff::1", now)
    assert not ledger.is_blocked("2001:db8:0:2::7", now)


def test_block_records_the_reason(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A block is an event carrying the admin's reason; one without a reason raises InvalidInput."""
    ledger.block_ip("198.51.100.7", None, now, ctx.with_reason("credential stuffing"))
    address = ledger.ip_address("198.51.100.7")
    assert address is not None
    assert last_event(ledger, address.id).context["reason"] == "credential stuffing"
    with pytest.raises(InvalidInput):
        ledger.block_ip("198.51.100.9", None, now, ctx.with_reason(None))


@pytest.mark.parametrize("address", ["not an address", "999.1.1.1", ""])
def test_block_refuses_what_is_not_an_address(
    ledger: Ledger, now: datetime, ctx: AuditContext, address: str
) -> None:
    """Something that is not an IP address or network raises InvalidInput and writes nothing."""
    with pytest.raises(InvalidInput):
        ledger.block_ip(address, None, now, ctx)
    assert head(ledger) == 0


def test_block_must_end_in_the_future(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A block ending at or before now raises InvalidInput."""
    with pytest.raises(InvalidInput):
        ledger.block_ip("198.51.100.7", now, now, ctx)


def test_unblock_what_is_not_blocked(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Unblocking an address never seen raises NotFound; one whose block has ended raises Conflict."""
    with pytest.raises(NotFound):
        ledger.unblock_ip("198.51.100.7", now, ctx)
    ledger.block_ip("198.51.100.7", now + HOUR, now, ctx)
    with pytest.raises(Conflict):
        ledger.unblock_ip("198.51.100.7", now + 2 * HOUR, ctx)
