"""Index entries: a deterministic id claimed once and pointing at one aggregate."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.index import IndexEntry, IndexKind
from tests.domain.aggregate_case import ACCOUNT_ID, NOW, claimed, given, later, then, then_one


def test_claim_points_at_its_target() -> None:
    """A claim records the kind and the aggregate it points at."""
    entry = claimed()
    event = then_one(entry, IndexEntry.Claimed)
    assert (event.originator_id, event.kind, event.target_id) == (UUID(int=7), "username", ACCOUNT_ID)
    assert entry.kind is IndexKind.USERNAME


def test_repoint_to_another_target() -> None:
    """An entry can be pointed at another aggregate (a fingerprint now names another device)."""
    entry = given(claimed())
    entry.repoint(UUID(int=99), later(days=1))
    assert then_one(entry, IndexEntry.Repointed).target_id == UUID(int=99)
    assert entry.target_id == UUID(int=99)


def test_repoint_to_the_same_target_changes_nothing() -> None:
    """Pointing at the current target appends nothing."""
    entry = given(claimed())
    entry.repoint(ACCOUNT_ID, NOW)
    assert then(entry) == []


def test_unknown_kind_is_refused() -> None:
    """An entry's kind is one of the known index kinds."""
    with pytest.raises(ValueError, match="not-a-kind"):
        IndexEntry(kind="not-a-kind", target_id=ACCOUNT_ID)
