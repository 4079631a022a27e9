"""The API's view of the read models: queries in a transaction, and read-your-writes waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from api.problems import ApiError
from projections.pages import BadQuery
from projections.runner import Catchup
from projections.store import ReadStore, Tx

T = TypeVar("T")
MAX_WAIT_S = 5.0
POLL_S = 0.02


class ReadModels:
    def __init__(self, store: ReadStore, catchup: Catchup, head: Callable[[], int]) -> None:
        self.store = store
        self.catchup = catchup
        self.head = head

    def position(self) -> int:
        return self.catchup.lowest_position()

    def wait_for(self, position: int | None, timeout: float = MAX_WAIT_S) -> None:
        """Returns once every read model has processed ``position``; 503 after ``timeout`` seconds, and
        422 at once for a position the ledger has not written (it would never arrive)."""
        if position is None or self.position() >= position:
            return
        if position > self.head():
            raise ApiError(422, "position_ahead", f"the ledger has not written position {position}")
        deadline = time.monotonic() + timeout
        while self.position() < position:
            if time.monotonic() >= deadline:
                raise ApiError(
                    503,
                    "read_model_lagging",
                    f"the read models have not reached position {position} yet",
                    {"Retry-After": "1"},
                )
            time.sleep(POLL_S)

    def query(self, position: int | None, run: Callable[[Tx], T]) -> T:
        self.wait_for(position)
        try:
            with self.store.snapshot() as tx:
                return run(tx)
        except BadQuery as error:
            raise ApiError(422, "invalid_query", str(error)) from None
