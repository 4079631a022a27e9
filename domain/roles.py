"""Roles, their order, and the device limit each starts with."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import InvalidInput


class Role(StrEnum):
    USER = "user"
    VIP = "vip"
    ADMIN = "admin"


RANK = {Role.USER: 0, Role.VIP: 1, Role.ADMIN: 2}
DEFAULT_DEVICE_LIMIT = {Role.USER: 1, Role.VIP: 3, Role.ADMIN: 10}
MAX_DEVICE_LIMIT = 100
LICENSE_TIERS = (Role.USER, Role.VIP)


def parse_role(value: str) -> Role:
    """The role named ``value``, or an ``InvalidInput`` error."""
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("role", f"unknown role {value!r} (user, vip or admin)") from None


def parse_tier(value: str) -> Role:
    """A license tier: a role a key may grant, never ``admin``."""
    role = parse_role(value)
    if role not in LICENSE_TIERS:
        raise InvalidInput("tier", "a license key grants user or vip, never admin")
    return role


def reaches(tier: Role, needed: Role) -> bool:
    """Whether ``tier`` is ``needed`` or above it."""
    return RANK[tier] >= RANK[needed]


def higher(a: Role, b: Role) -> Role:
    """The higher of two roles."""
    return a if RANK[a] >= RANK[b] else b


def check_device_limit(limit: int) -> int:
    """A device limit between 1 and ``MAX_DEVICE_LIMIT``."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_DEVICE_LIMIT:
        raise InvalidInput("device_limit", f"must be between 1 and {MAX_DEVICE_LIMIT}")
    return limit
