"""The client address comes from the socket unless the peer is a trusted proxy."""

from __future__ import annotations

from api.client_address import client_address, limit_key, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8"])


def test_untrusted_peer_ignores_forwarded_for() -> None:
    """A spoofed X-Forwarded-For from an untrusted peer changes nothing."""
    assert client_address("203.0.113.5", "198.51.100.1", PROXIES) == "203.0.113.5"


def test_trusted_proxy_yields_nearest_untrusted_hop() -> None:
    """Behind trusted proxies, the rightmost untrusted hop is the client (left entries may be forged)."""
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.9", PROXIES) == "198.51.100.7"


def test_garbage_forwarded_for_falls_back_to_the_peer() -> None:
    """A malformed hop stops the walk at the last trusted address."""
    assert client_address("10.0.0.2", "not-an-ip", PROXIES) == "10.0.0.2"


def test_non_ip_peer_is_none() -> None:
    """A peer that is not an IP address (a test client, a unix socket) has no address."""
    assert client_address("testclient", None, PROXIES) is None


def test_ipv6_is_limited_per_64() -> None:
    """Two addresses in one /64 share a limit key; IPv4-mapped addresses count as IPv4."""
    assert limit_key("2001:db8::1") == limit_key("2001:db8::ffff") == "2001:db8::/64"
    assert client_address("::ffff:203.0.113.5", None, PROXIES) == "203.0.113.5"
