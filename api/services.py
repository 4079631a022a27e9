"""What the routes depend on, built once per process by ``create_app``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from api.blocklist import Blocklist
from api.client_address import Network
from api.ledger_log import LedgerLog
from api.limits import RateLimits
from api.metrics import Metrics
from api.readmodels import ReadModels
from api.settings import Settings
from api.tokens import TokenService
from domain.digests import Digests
from domain.ledger.service import Ledger
from workers.background import Background
from workers.presence import Presence

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    settings: Settings
    metrics: Metrics
    limits: RateLimits
    blocklist: Blocklist
    proxies: tuple[Network, ...]
    ledger: Ledger
    tokens: TokenService
    presence: Presence
    digests: Digests
    clock: Clock
    reads: ReadModels
    background: list[Background]
    ledger_log: LedgerLog
