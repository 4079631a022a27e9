"""What the integration routes need from the outside world, as ports (``adapters.outbound`` and
``adapters.response_seal`` implement them): the SSRF check of a webhook URL, and webhook secrets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class UrlGuard(Protocol):
    def check(self, url: str) -> Any:
        """Raises ``InvalidInput`` when the URL resolves to an address webhooks may not call."""
        ...


class SecretMaker(Protocol):
    def new(self) -> tuple[str, str]:
        """A new signing secret and its sealed form (the only form the ledger stores)."""
        ...


@dataclass(frozen=True)
class Integrations:
    guard: UrlGuard
    secrets: SecretMaker
