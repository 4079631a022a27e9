"""The ledger's notification log as the projections' ``EventSource``: stored events after a position
(the recorder's keyset read), decoded by ``FastDecoder`` (``orjson``; the mapper itself where that path
cannot be exact)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.event_decoding import FastDecoder
from domain.ledger.service import Ledger


class LedgerEvents:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._decoder = FastDecoder(ledger.mapper)

    def read(self, after: int, limit: int) -> Sequence[tuple[int, Any]]:
        notifications = self.ledger.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        decode = self._decoder.decode
        return [(n.id, decode(n)) for n in notifications]

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0
