"""The app over a fresh SQLite ledger only: for HTTP rules that hold whatever the store, so the suite
stays fast. Rules where the store matters use the ``api`` fixture (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from domain.credentials import PasswordHasher
from domain.digests import Digests
from domain.ledger.service import Ledger
from tests.api.harness import Api, make_api
from tests.fakes import FastHasher, SeededEntropy
from tests.stores import TEST_KEY, sqlite_env


@contextmanager
def sqlite_api(
    directory: Path, now: datetime, hasher: PasswordHasher | None = None, **settings: Any
) -> Iterator[Api]:
    """A running app (lifespan entered) over a new SQLite file in ``directory``; ``hasher`` defaults to
    the fast fake."""
    ledger = Ledger(
        sqlite_env(directory),
        digests=Digests(TEST_KEY),
        hasher=hasher or FastHasher(),
        entropy=SeededEntropy(),
    )
    harness = make_api(directory / "data", ledger, now, **settings)
    try:
        with harness.client:
            yield harness
    finally:
        ledger.close()
