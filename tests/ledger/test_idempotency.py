"""Idempotency keys: a retried register or activation returns the first result and appends nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from domain.context import AuditContext
from domain.errors import IdempotencyKeyReused, InvalidInput
from domain.ledger.service import Ledger
from domain.roles import Role
from tests.ledger.scenarios import PASSWORD, head, issued_key, registered


def test_a_retried_registration_is_replayed(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A register retried with the same key returns the same account, replayed, and appends nothing."""
    first = ledger.register("alice", PASSWORD, Role.USER, now, ctx, idempotency_key="k-1")
    before = head(ledger)
    retry = ledger.register(
        "ALICE", PASSWORD, Role.USER, now + timedelta(seconds=5), ctx, idempotency_key="k-1"
    )
    assert (retry.value, retry.replayed, retry.position) == (first.value, True, None)
    assert not first.replayed
    assert head(ledger) == before


def test_a_key_reused_for_another_registration(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """The same key with a different username, role or password raises IdempotencyKeyReused and appends
    nothing (the password is compared inside the keyed digest, never stored)."""
    ledger.register("alice", PASSWORD, Role.USER, now, ctx, idempotency_key="k-1")
    before = head(ledger)
    with pytest.raises(IdempotencyKeyReused):
        ledger.register("bob", PASSWORD, Role.USER, now, ctx, idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReused):
        ledger.register("alice", PASSWORD, Role.VIP, now, ctx, idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReused):
        ledger.register("alice", PASSWORD + " changed", Role.USER, now, ctx, idempotency_key="k-1")
    assert head(ledger) == before


def test_keys_belong_to_their_principal(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Another actor's identical key is a different request, not a replay."""
    first = ledger.register("alice", PASSWORD, Role.USER, now, ctx, idempotency_key="k-1")
    other = ledger.register(
        "bob", PASSWORD, Role.USER, now, replace(ctx, actor="admin:other"), idempotency_key="k-1"
    )
    assert not other.replayed
    assert other.value != first.value


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\tkey"])
def test_a_malformed_key_is_refused(ledger: Ledger, now: datetime, ctx: AuditContext, key: str) -> None:
    """An empty, too long or unprintable idempotency key raises InvalidInput and writes nothing."""
    with pytest.raises(InvalidInput):
        ledger.register("alice", PASSWORD, Role.USER, now, ctx, idempotency_key=key)
    assert head(ledger) == 0


def test_a_retried_activation_is_replayed(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """An activation retried with the same key returns the first activation and appends nothing."""
    alice = registered(ledger, now, ctx)
    key = issued_key(ledger, now, ctx).key
    first = ledger.activate_license(alice, key, now, ctx, idempotency_key="a-1")
    before = head(ledger)
    retry = ledger.activate_license(alice, key.lower(), now + timedelta(days=3), ctx, idempotency_key="a-1")
    assert (retry.value, retry.replayed, retry.position) == (first.value, True, None)
    assert head(ledger) == before
    assert ledger.account(alice).license_expiry == first.value.expires_at


def test_a_key_reused_for_another_activation(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """The same key with a different license key raises IdempotencyKeyReused and appends nothing."""
    alice = registered(ledger, now, ctx)
    first, second = issued_key(ledger, now, ctx).key, issued_key(ledger, now, ctx).key
    ledger.activate_license(alice, first, now, ctx, idempotency_key="a-1")
    before = head(ledger)
    with pytest.raises(IdempotencyKeyReused):
        ledger.activate_license(alice, second, now, ctx, idempotency_key="a-1")
    assert head(ledger) == before
