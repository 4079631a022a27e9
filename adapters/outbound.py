"""Outbound HTTP for webhooks, safe against SSRF: a URL's host is resolved once, every address is checked
(no loopback, private, link-local, shared, multicast or reserved address unless an allowed network holds
it; an IPv4-mapped IPv6 address counts as its IPv4 address), and the request connects to the checked
address itself, with the name in the Host header and TLS SNI (so DNS rebinding cannot swap the address).
Redirects are not followed; timeouts are short; at most ``MAX_RESPONSE_BYTES`` of an answer are read."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from domain.errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]
TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 3.0
MAX_RESPONSE_BYTES = 64 * 1024


def system_resolver(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in found})


def parse_networks(texts: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in texts)


def is_public(address: Address) -> bool:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    plain = mapped or address
    return plain.is_global and not plain.is_multicast


@dataclass(frozen=True)
class Target:
    """Where a checked URL connects: the address, and the name for Host and SNI."""

    url: str
    address: str
    host: str
    port: int


class OutboundGuard:
    def __init__(self, allowed: tuple[Network, ...] = (), resolve: Resolver = system_resolver) -> None:
        self.allowed, self.resolve = allowed, resolve

    def allows(self, text: str) -> bool:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        plain = (address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None) or address
        return is_public(address) or any(plain in net or address in net for net in self.allowed)

    def check(self, url: str) -> Target:
        """The address to connect to for ``url``; ``InvalidInput`` if any address it resolves to is off
        limits (or it resolves to none)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput("url", "an absolute http(s) URL")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname
        addresses = self.resolve(host, port)
        if not addresses:
            raise InvalidInput("url", f"{host} does not resolve")
        refused = [a for a in addresses if not self.allows(a)]
        if refused:
            raise InvalidInput("url", f"{host} resolves to an address webhooks may not call ({refused[0]})")
        return Target(url, addresses[0], host, port)


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt: the status (None if no answer) and what went wrong, if anything."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class HttpSender:
    """POSTs a webhook to the checked address of its URL."""

    def __init__(self, guard: OutboundGuard, verify: bool | str = True) -> None:
        self.guard, self.verify = guard, verify

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        try:
            target = self.guard.check(url)
        except InvalidInput as refused:
            return Attempt(None, f"refused: {refused.message}")
        parts = urlsplit(url)
        literal = f"[{target.address}]" if ":" in target.address else target.address
        direct = urlunsplit((parts.scheme, f"{literal}:{target.port}", parts.path or "/", parts.query, ""))
        host = parts.netloc.rsplit("@", 1)[-1]
        timeout = httpx.Timeout(TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        try:
            with httpx.Client(
                timeout=timeout, follow_redirects=False, trust_env=False, verify=self.verify
            ) as client:
                request = client.build_request(
                    "POST",
                    direct,
                    content=body,
                    headers={**headers, "host": host, "content-type": "application/json"},
                    extensions={"sni_hostname": target.host},
                )
                response = client.send(request, stream=True)
                try:
                    read = 0
                    for chunk in response.iter_raw():
                        read += len(chunk)
                        if read > MAX_RESPONSE_BYTES:
                            break
                finally:
                    response.close()
                return Attempt(response.status_code)
        except httpx.HTTPError as error:
            return Attempt(None, type(error).__name__)
