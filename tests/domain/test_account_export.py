"""Access exports: every export of an account's personal data is an event on it, erased or not, and its
audit context is the exporter's (sealed under the exporter's key, never the account's)."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain import personal
from domain.account import Account
from domain.errors import InvalidInput
from tests.domain.aggregate_case import CTX, NOW, given, registered, then, then_one

ADMIN = UUID(int=77)
EXPORT = "domain.account:Account.PersonalDataExported"


def test_an_export_is_recorded_with_its_actor_and_count() -> None:
    """The event carries how many events were exported and the full audit context of who exported them."""
    account = given(registered())
    account.record_export(12, NOW, CTX)
    event = then_one(account, Account.PersonalDataExported)
    assert event.event_count == 12
    assert event.context == CTX.as_event_data()


def test_an_erased_account_is_still_exported_and_recorded() -> None:
    """An export of an erased account (all ``[erased]``) is recorded like any other."""
    account = registered()
    account.erase(NOW, CTX)
    account = given(account)
    account.record_export(3, NOW, CTX)
    assert then(account) == [Account.PersonalDataExported]


def test_a_negative_count_is_refused() -> None:
    """A count below zero is a programming error, refused before anything is recorded."""
    account = given(registered())
    with pytest.raises(InvalidInput):
        account.record_export(-1, NOW, CTX)
    assert then(account) == []


@pytest.mark.parametrize(
    ("actor", "key_id"),
    [
        (str(ADMIN), f"account:{ADMIN}"),
        ("api-key:0f8e2a1c9b7d4e6f8a0b1c2d3e4f5a6b", "day:2026-11-01"),
        ("cli:ops", "day:2026-11-01"),
    ],
)
def test_the_exporters_context_is_sealed_under_the_exporters_key(actor: str, key_id: str) -> None:
    """An export's address and user agent belong to the admin who exported (or the day, for a key or the
    CLI), not to the exported account: they survive its erasure and stay out of its own export."""
    state = {"context": {"actor": actor}, "timestamp": NOW}
    found = personal.subject(EXPORT, UUID(int=1), state, {})
    assert found.key_id == key_id
