"""What the routes depend on, built once per process by the composition root (``bootstrap.app``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from api.api_key_usage import KeyUsage
from api.blocklist import Blocklist
from api.client_address import Network
from api.fresh_state import FreshAggregates
from api.idempotency_store import IdempotencyStore
from api.integrations import Integrations
from api.ledger_log import LedgerLog
from api.limits import RateLimits
from api.metrics import Metrics
from api.personal_data import PersonalData
from api.readmodels import ReadModels
from api.release_files import ReleaseStore
from api.tokens import TokenService
from domain.digests import Digests
from domain.heartbeats import Presence
from domain.ledger.service import Ledger

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WebSettings:
    """The settings the HTTP layer itself reads."""

    public_origin: str | None = None  # the browser-facing origin behind a TLS-terminating proxy
    insecure_dev_cookies: bool = False  # plain-HTTP development: no Secure flag, no __Host- prefix
    max_body_bytes: int = 64 * 1024
    metrics_networks: tuple[Network, ...] = ()  # who may scrape /metrics without the token
    metrics_token: str | None = None  # or with ``Authorization: Bearer <token>``


@dataclass(frozen=True)
class Services:
    web: WebSettings
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
    ledger_log: LedgerLog
    readiness: Mapping[str, Callable[[], bool]]  # each configured service beside the event store
    fresh: FreshAggregates  # sessions, accounts and licenses as bearer requests read them
    key_usage: KeyUsage
    idempotency: IdempotencyStore
    integrations: Integrations
    releases: ReleaseStore
    personal: PersonalData | None = None  # erasure and access export (None: a ledger that does not seal)
