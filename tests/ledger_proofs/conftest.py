from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.ledger.service import Ledger
from tests.ledger_proofs.sealing import Sealed, sealed


@pytest.fixture
def chain(ledger: Ledger) -> Iterator[Sealed]:
    """Tree storage, a notary and a sealer beside the ``ledger`` fixture (SQLite and PostgreSQL)."""
    found = sealed(ledger)
    yield found
    found.sealer.stop()
    found.close()
