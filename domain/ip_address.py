"""The IpAddress aggregate: one client address or network (IPv6 clients count per /64), its login
failures and its blocks. The address itself is personal data and lives only in ``Tracked.address``."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.errors import Conflict, InvalidInput
from domain.expiry import check_end

IPV6_CLIENT_PREFIX = 64
MIN_BLOCK_PREFIX = {4: 8, 6: 32}  # wider blocks would shut out whole regions, admins included


def network_of(address: str) -> str:
    """The network a client is counted under: an IPv4 address itself, an IPv6 address's /64 (an
    IPv4-mapped IPv6 address counts as its IPv4 address); a network in CIDR form is normalised."""
    try:
        if "/" in address:
            return str(ipaddress.ip_network(address, strict=False))
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise InvalidInput("address", f"not an IP address or network: {address[:64]!r}") from None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(ip)


def covers(block: str, address: str) -> bool:
    """Whether a block of ``block`` (an address or network, counted as ``network_of`` does) would cover
    the client ``address``."""
    network = ipaddress.ip_network(network_of(block), strict=False)
    client = ipaddress.ip_network(network_of(address), strict=False)
    return network.version == client.version and client.subnet_of(network)  # type: ignore[arg-type]


def is_address(text: str) -> bool:
    """Whether ``text`` is an IP address or network."""
    try:
        network_of(text)
    except InvalidInput:
        return False
    return True


class IpAddress(Aggregate):
    class Tracked(Aggregate.Created):
        address: str

    class LoginFailed(Aggregate.Event):
        account_id: UUID | None
        context: ContextData

    class Blocked(Aggregate.Event):
        until: datetime | None
        context: ContextData

    class Unblocked(Aggregate.Event):
        context: ContextData

    @event(Tracked)
    def __init__(self, address: str) -> None:
        self.address = address
        self.failures = 0
        self.blocked = False
        self.blocked_until: datetime | None = None
        self.unblocked_at: datetime | None = None  # failures before an admin's unblock are forgiven

    @classmethod
    def track(cls, *, ip_id: UUID, address: str, now: datetime) -> IpAddress:
        return cls._create(cls.Tracked, id=ip_id, address=network_of(address), timestamp=now)

    def is_blocked(self, now: datetime) -> bool:
        return self.blocked and (self.blocked_until is None or now < self.blocked_until)

    def fail_login(self, account_id: UUID | None, now: datetime, ctx: AuditContext) -> None:
        self._login_failed(account_id=account_id, context=ctx.as_event_data(), timestamp=now)

    def block(self, until: datetime | None, now: datetime, ctx: AuditContext) -> None:
        if not ctx.reason:
            raise InvalidInput("reason", "a block needs a reason")
        network = ipaddress.ip_network(self.address, strict=False)
        if network.prefixlen < MIN_BLOCK_PREFIX[network.version]:
            raise InvalidInput("address", f"a block may cover at most a /{MIN_BLOCK_PREFIX[network.version]}")
        check_end(until)
        if until is not None and until <= now:
            raise InvalidInput("until", "a block must end in the future")
        self._blocked(until=until, context=ctx.as_event_data(), timestamp=now)

    def unblock(self, now: datetime, ctx: AuditContext) -> None:
        if not self.is_blocked(now):
            raise Conflict(f"{self.address} is not blocked")
        self._unblocked(context=ctx.as_event_data(), timestamp=now)

    @event(LoginFailed)
    def _login_failed(self, account_id: UUID | None, context: ContextData, timestamp: datetime) -> None:
        self.failures += 1

    @event(Blocked)
    def _blocked(self, until: datetime | None, context: ContextData, timestamp: datetime) -> None:
        self.blocked, self.blocked_until = True, until

    @event(Unblocked)
    def _unblocked(self, context: ContextData, timestamp: datetime) -> None:
        self.blocked, self.blocked_until, self.unblocked_at = False, None, timestamp

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "address": self.address,
            "failures": self.failures,
            "blocked": self.blocked,
            "blocked_until": self.blocked_until.isoformat() if self.blocked_until else None,
            "version": self.version,
        }
