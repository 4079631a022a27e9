"""The app over a fresh SQLite ledger only: for HTTP rules that hold whatever the store, so the suite
stays fast. Rules where the store matters use the ``api`` fixture (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from domain.credentials import PasswordHasher
from tests.api.harness import Api, make_api
from tests.fakes import FastHasher
from tests.stores import sealing_ledger, sqlite_env


@contextmanager
def sqlite_api(
    directory: Path, now: datetime, hasher: PasswordHasher | None = None, **settings: Any
) -> Iterator[Api]:
    """A running app (lifespan entered) over a new SQLite file in ``directory``; ``hasher`` defaults to
    the fast fake."""
    ledger = sealing_ledger(sqlite_env(directory), directory / "data", hasher or FastHasher(), seed=7)
    harness = make_api(directory / "data", ledger, now, **settings)
    try:
        with harness.client:
            yield harness
    finally:
        ledger.close()
