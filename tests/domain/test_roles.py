"""Roles, tiers and device limits."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.roles import (
    DEFAULT_DEVICE_LIMIT,
    MAX_DEVICE_LIMIT,
    Role,
    check_device_limit,
    higher,
    parse_role,
    parse_tier,
)


@pytest.mark.parametrize("role", list(Role))
def test_parse_role_accepts_every_role_by_name(role: Role) -> None:
    """user, vip and admin parse to their roles."""
    assert parse_role(role.value) is role


@pytest.mark.parametrize("value", ["", "USER", "Admin", "root", "superuser", " vip"])
def test_parse_role_rejects_anything_else(value: str) -> None:
    """Role names are exact and lowercase."""
    with pytest.raises(InvalidInput) as raised:
        parse_role(value)
    assert raised.value.field == "role"


@pytest.mark.parametrize("value", ["user", "vip"])
def test_a_license_tier_is_user_or_vip(value: str) -> None:
    """A key may grant user or vip."""
    assert parse_tier(value) == Role(value)


def test_a_license_tier_is_never_admin() -> None:
    """A key never grants admin."""
    with pytest.raises(InvalidInput) as raised:
        parse_tier("admin")
    assert raised.value.field == "tier"


@pytest.mark.parametrize(
    ("a", "b", "high"),
    [
        (Role.USER, Role.VIP, Role.VIP),
        (Role.VIP, Role.USER, Role.VIP),
        (Role.ADMIN, Role.VIP, Role.ADMIN),
        (Role.USER, Role.ADMIN, Role.ADMIN),
        (Role.VIP, Role.VIP, Role.VIP),
    ],
)
def test_higher_orders_user_below_vip_below_admin(a: Role, b: Role, high: Role) -> None:
    """user < vip < admin."""
    assert higher(a, b) is high


def test_default_device_limits_grow_with_the_role() -> None:
    """Every role starts with a valid device limit, higher roles with more."""
    limits = [DEFAULT_DEVICE_LIMIT[role] for role in (Role.USER, Role.VIP, Role.ADMIN)]
    assert limits == sorted(limits)
    assert all(check_device_limit(limit) == limit for limit in limits)


@pytest.mark.parametrize("limit", [1, 2, MAX_DEVICE_LIMIT])
def test_device_limit_between_1_and_100_is_accepted(limit: int) -> None:
    """A device limit from 1 to 100 is accepted."""
    assert check_device_limit(limit) == limit


@pytest.mark.parametrize("limit", [0, -1, MAX_DEVICE_LIMIT + 1, True, False])
def test_device_limit_outside_1_to_100_is_rejected(limit: int) -> None:
    """0, negatives, over 100 and booleans are not device limits."""
    with pytest.raises(InvalidInput) as raised:
        check_device_limit(limit)
    assert raised.value.field == "device_limit"
