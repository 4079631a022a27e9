"""The ledger's notification log as the projections' ``EventSource``: stored events after a position,
decoded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.ledger.service import Ledger


class LedgerEvents:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def read(self, after: int, limit: int) -> Sequence[tuple[int, Any]]:
        notifications = self.ledger.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        return [(n.id, self.ledger.mapper.to_domain_event(n)) for n in notifications]

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0
