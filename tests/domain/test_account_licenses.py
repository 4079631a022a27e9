"""License time on an account: apply (extend, raise role and device limit) and withdraw."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import hypothesis
import pytest

from domain.account import Account
from domain.expiry import expiry_of
from domain.roles import Role
from tests.domain.aggregate_case import CTX, NOW, given, later, registered, then_one
from tests.strategies import LICENSE_IDS, license_applications, license_ids

FIRST, SECOND = LICENSE_IDS[:2]


def test_apply_license_starts_from_now_without_an_expiry() -> None:
    """A first license runs from now and returns the new expiry."""
    account = given(registered())
    expires = account.apply_license(FIRST, 30, Role.USER, 1, NOW, CTX)
    event = then_one(account, Account.LicenseApplied)
    assert (event.license_id, event.days, event.expires_at) == (FIRST, 30, later(days=30))
    assert expires == account.license_expiry == later(days=30)


def test_apply_license_extends_a_still_valid_expiry() -> None:
    """A second license before the first lapses adds its days to the expiry."""
    account = registered()
    account.apply_license(FIRST, 30, Role.USER, 1, NOW, CTX)
    account = given(account)
    assert account.apply_license(SECOND, 10, Role.USER, 1, later(days=20), CTX) == later(days=40)


def test_apply_license_after_expiry_starts_from_now() -> None:
    """A license applied after the expiry has passed runs from now."""
    account = registered()
    account.apply_license(FIRST, 30, Role.USER, 1, NOW, CTX)
    account = given(account)
    assert account.apply_license(SECOND, 10, Role.USER, 1, later(days=50), CTX) == later(days=60)


@pytest.mark.parametrize(
    ("role", "tier", "result"),
    [
        (Role.USER, Role.VIP, Role.VIP),
        (Role.USER, Role.USER, Role.USER),
        (Role.VIP, Role.USER, Role.VIP),
        (Role.ADMIN, Role.VIP, Role.ADMIN),
        (Role.ADMIN, Role.USER, Role.ADMIN),
    ],
)
def test_apply_license_raises_the_role_to_a_higher_tier(role: Role, tier: Role, result: Role) -> None:
    """The role rises to the key's tier when that is higher, never falls (admin stays admin)."""
    account = given(registered(role))
    account.apply_license(FIRST, 30, tier, 1, NOW, CTX)
    assert then_one(account, Account.LicenseApplied).role == result.value
    assert account.role is result


@pytest.mark.parametrize(("key_limit", "result"), [(5, 5), (1, 3), (3, 3)])
def test_apply_license_raises_the_device_limit_to_at_least_the_keys(key_limit: int, result: int) -> None:
    """The device limit becomes the larger of the account's (3 for vip) and the key's."""
    account = given(registered(Role.VIP))
    account.apply_license(FIRST, 30, Role.VIP, key_limit, NOW, CTX)
    assert then_one(account, Account.LicenseApplied).device_limit == result
    assert account.device_limit == result


def test_withdraw_license_recomputes_the_expiry_without_it() -> None:
    """Revoking the first of two stacked licenses leaves only the second's time, from its own moment."""
    account = registered()
    account.apply_license(FIRST, 30, Role.USER, 1, NOW, CTX)
    account.apply_license(SECOND, 10, Role.USER, 1, later(days=5), CTX)
    account = given(account)
    assert account.license_expiry == later(days=40)
    account.withdraw_license(FIRST, later(days=6), CTX)
    event = then_one(account, Account.LicenseWithdrawn)
    assert (event.license_id, event.expires_at) == (FIRST, later(days=15))
    assert account.license_expiry == later(days=15)


def test_withdraw_the_only_license_leaves_no_expiry() -> None:
    """Without any grant left, the account has no license time at all."""
    account = registered()
    account.apply_license(FIRST, 30, Role.USER, 1, NOW, CTX)
    account = given(account)
    account.withdraw_license(FIRST, later(days=1), CTX)
    assert then_one(account, Account.LicenseWithdrawn).expires_at is None
    assert account.license_expiry is None


def test_withdraw_removes_extensions_of_that_license_too() -> None:
    """Every grant of the license goes, its extensions included."""
    account = registered()
    account.apply_license(FIRST, 30, Role.USER, 1, NOW, CTX)
    account.apply_license(SECOND, 10, Role.USER, 1, NOW, CTX)
    account.apply_license(FIRST, 30, Role.USER, 1, later(days=1), CTX)
    account = given(account)
    account.withdraw_license(FIRST, later(days=2), CTX)
    assert account.license_expiry == later(days=10)


def test_withdraw_a_license_never_applied_changes_nothing() -> None:
    """Withdrawing a license the account never had appends nothing."""
    account = registered()
    account.apply_license(FIRST, 30, Role.USER, 1, NOW, CTX)
    account = given(account)
    account.withdraw_license(SECOND, NOW, CTX)
    assert account.collect_events() == []
    assert account.license_expiry == later(days=30)


@hypothesis.given(license_applications(), license_ids())
@hypothesis.settings(max_examples=100)
def test_expiry_always_equals_the_grants_applied_in_order(
    applied: list[tuple[UUID, int, int]], withdrawn: UUID
) -> None:
    """After any applications and a withdrawal, the expiry is what the remaining grants give."""
    account = registered()
    moment = NOW
    for license_id, license_days, gap in applied:
        moment += timedelta(days=gap)
        account.apply_license(license_id, license_days, Role.USER, 1, moment, CTX)
        assert account.license_expiry == expiry_of(account.grants)
    account.withdraw_license(withdrawn, moment, CTX)
    assert account.license_expiry == expiry_of(account.grants)
    assert all(grant.license_id != withdrawn for grant in account.grants)
