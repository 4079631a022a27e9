"""IP blocks as every request sees them: the blocked networks (with their ends) held in memory, refreshed
from the IP-block read model at most every half second, and checked by containment — a block of a
network covers every address in it. Logins also check the write model for the client's own network."""

from __future__ import annotations

import ipaddress
import threading
import time
from datetime import datetime

from projections import ip_blocks
from projections.base import parse_stamp
from projections.store import ReadStore

REFRESH_S = 0.5
Net = ipaddress.IPv4Network | ipaddress.IPv6Network


class Blocklist:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self._blocks: list[tuple[Net, datetime | None]] = []
        self._loaded_at = -1.0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        if time.monotonic() - self._loaded_at < REFRESH_S:
            return
        with self._lock:
            if time.monotonic() - self._loaded_at < REFRESH_S:
                return
            with self.store.snapshot() as tx:
                rows = ip_blocks.blocked_networks(tx)
            self._blocks = [
                (ipaddress.ip_network(net, strict=False), parse_stamp(until) if until else None)
                for net, until in rows
            ]
            self._loaded_at = time.monotonic()

    def blocked(self, address: str, now: datetime) -> bool:
        """Whether a block still in force covers ``address``."""
        self._refresh()
        ip = ipaddress.ip_address(address)
        return any(
            ip.version == net.version and ip in net and (until is None or now < until)
            for net, until in self._blocks
        )
