"""The client's address: the socket peer, unless that peer is a configured trusted proxy, in which case
the nearest untrusted address of ``X-Forwarded-For`` (read from the right). A spoofed header from an
untrusted peer is ignored. IPv6 clients are counted per /64."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_FORWARDED_HOPS = 20


def parse_networks(cidrs: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(ip.version == net.version and ip in net for net in proxies)


def in_networks(address: str, networks: Sequence[Network]) -> bool:
    """Whether ``address`` (as ``client_address`` returns it) lies in one of ``networks``."""
    ip = _address(address)
    return ip is not None and _trusted(ip, networks)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str | None:
    """The address a request is attributed to (None when the peer is not an IP address)."""
    ip = _address(peer) if peer else None
    if ip is None:
        return None
    if not forwarded_for or not _trusted(ip, proxies):
        return str(ip)
    hops = [h for h in forwarded_for.split(",")[-MAX_FORWARDED_HOPS:] if h.strip()]
    for hop in reversed(hops):
        hop_ip = _address(hop)
        if hop_ip is None:
            return str(ip)
        if not _trusted(hop_ip, proxies):
            return str(hop_ip)
        ip = hop_ip
    return str(ip)


def limit_key(address: str) -> str:
    """What a rate limit counts: an IPv4 address, or an IPv6 address's /64."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
