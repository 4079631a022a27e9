"""IP address use cases: block (with an optional end) and unblock an address or network."""

from __future__ import annotations

from datetime import datetime

from domain.context import AuditContext
from domain.ip_address import IpAddress, network_of
from domain.ledger.base import LedgerBase, Written, retried


class AddressCommands(LedgerBase):
    def ip_address(self, address: str) -> IpAddress | None:
        return self.find(IpAddress, self.digests.index_id("ip", network_of(address)))

    def is_blocked(self, address: str, now: datetime) -> bool:
        """Whether the client's network is under a block that has not ended."""
        found = self.ip_address(address)
        return found is not None and found.is_blocked(now)

    @retried
    def block_ip(
        self, address: str, until: datetime | None, now: datetime, ctx: AuditContext
    ) -> Written[str]:
        network = network_of(address)
        ip_id = self.digests.index_id("ip", network)
        found = self.find(IpAddress, ip_id) or IpAddress.track(ip_id=ip_id, address=network, now=now)
        found.block(until, now, ctx)
        return self.commit(network, found)

    @retried
    def unblock_ip(self, address: str, now: datetime, ctx: AuditContext) -> Written[str]:
        network = network_of(address)
        found = self.load(IpAddress, self.digests.index_id("ip", network), "address")
        found.unblock(now, ctx)
        return self.commit(network, found)
