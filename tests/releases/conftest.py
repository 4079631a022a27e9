from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from domain.ledger.service import Ledger
from projections.store import ReadStore
from tests.api.harness import Api, make_api


@pytest.fixture
def api(ledger: Ledger, read_store: ReadStore, tmp_path: Path, now: datetime) -> Iterator[Api]:
    """The app over the parametrised ledger and read models (SQLite and PostgreSQL)."""
    harness = make_api(tmp_path / "data", ledger, now, read_store=read_store)
    with harness.client:
        yield harness
