"""Client networks (IPv6 per /64) and the IpAddress aggregate: failures and blocks."""

from __future__ import annotations

import pytest

from domain.errors import Conflict, InvalidInput
from domain.ip_address import IpAddress, network_of
from tests.domain.aggregate_case import CTX, NO_REASON, NOW, given, later, then, then_one, tracked


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("10.0.0.1", "10.0.0.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8::1", "2001:db8::/64"),
        ("::1", "::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("::ffff:cb00:7109", "203.0.113.9"),
        ("203.0.113.0/24", "203.0.113.0/24"),
        ("203.0.113.77/24", "203.0.113.0/24"),
        ("2001:db8::1/48", "2001:db8::/48"),
        ("10.0.0.1/32", "10.0.0.1/32"),
    ],
)
def test_network_of(address: str, network: str) -> None:
    """IPv4 counts as itself, IPv6 per /64, IPv4-mapped IPv6 as its IPv4, CIDR normalised."""
    assert network_of(address) == network


def test_two_addresses_in_one_ipv6_64_share_a_network() -> None:
    """A client cannot escape a limit by hopping within its /64."""
    assert network_of("2001:db8:aa:bb::1") == network_of("2001:db8:aa:bb:1234:5678:9abc:def0")
    assert network_of("2001:db8:aa:bb::1") != network_of("2001:db8:aa:bc::1")


@pytest.mark.parametrize(
    "garbage",
    ["", "localhost", "1.2.3", "256.1.1.1", "1.2.3.4.5", "01.2.3.4", "1.2.3.4/33", "::g", "1.2.3.4/x", "/"],
)
def test_garbage_is_invalid_input(garbage: str) -> None:
    """Anything that is not an address or network is InvalidInput, not a crash."""
    with pytest.raises(InvalidInput) as raised:
        network_of(garbage)
    assert raised.value.field == "address"


def test_track_stores_the_network() -> None:
    """A tracked address is stored as its network, unblocked and without failures."""
    address = tracked("2001:db8:1:2::99")
    event = then_one(address, IpAddress.Tracked)
    assert event.address == "2001:db8:1:2::/64"
    assert (address.failures, address.is_blocked(NOW)) == (0, False)


def test_fail_login_counts_a_failure() -> None:
    """Each failed login from the address is an event."""
    address = given(tracked())
    address.fail_login(None, NOW, CTX)
    event = then_one(address, IpAddress.LoginFailed)
    assert event.account_id is None
    assert event.context["client_ip"] == "203.0.113.9"
    assert address.failures == 1


def test_block_until_a_time_expires_by_time() -> None:
    """A block with an end holds before it and lapses at it."""
    address = given(tracked())
    address.block(later(hours=1), NOW, CTX)
    assert then_one(address, IpAddress.Blocked).until == later(hours=1)
    assert address.is_blocked(later(minutes=59))
    assert not address.is_blocked(later(hours=1))


def test_block_without_end_holds_forever() -> None:
    """A block without an end does not lapse."""
    address = given(tracked())
    address.block(None, NOW, CTX)
    assert then(address) == [IpAddress.Blocked]
    assert address.is_blocked(later(days=10_000))


def test_block_needs_a_reason() -> None:
    """Blocking is an admin or policy decision with a stated reason."""
    address = given(tracked())
    with pytest.raises(InvalidInput, match="reason"):
        address.block(None, NOW, NO_REASON)
    assert then(address) == []


@pytest.mark.parametrize("seconds", [0, -1])
def test_block_must_end_in_the_future(seconds: int) -> None:
    """A block that ends now or earlier is refused."""
    address = given(tracked())
    with pytest.raises(InvalidInput, match="until"):
        address.block(later(seconds=seconds), NOW, CTX)
    assert then(address) == []


def test_unblock_lifts_a_block() -> None:
    """An active block can be lifted."""
    address = tracked()
    address.block(None, NOW, CTX)
    address = given(address)
    address.unblock(later(minutes=5), CTX)
    assert then(address) == [IpAddress.Unblocked]
    assert not address.is_blocked(later(minutes=5))


def test_unblock_refuses_an_address_never_blocked() -> None:
    """Nothing to unblock."""
    address = given(tracked())
    with pytest.raises(Conflict):
        address.unblock(NOW, CTX)
    assert then(address) == []


def test_unblock_refuses_a_lapsed_block() -> None:
    """A block that has reached its end is already over."""
    address = tracked()
    address.block(later(hours=1), NOW, CTX)
    address = given(address)
    with pytest.raises(Conflict):
        address.unblock(later(hours=2), CTX)
    assert then(address) == []


@pytest.mark.parametrize("network", ["0.0.0.0/0", "10.0.0.0/7", "2001:db8::/31", "::/0"])
def test_blocks_wider_than_a_region_are_refused(network: str) -> None:
    """A block wider than an IPv4 /8 or an IPv6 /32 is refused (it would shut out everyone, admins too)."""
    with pytest.raises(InvalidInput):
        tracked(network).block(None, NOW, CTX)
