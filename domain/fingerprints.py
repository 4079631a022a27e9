"""The device fingerprint rule (DESIGN §4): a login is the same device when strictly more than 70% of
the components of either side are equal; an unreadable component is simply absent."""

from __future__ import annotations

import re
from collections.abc import Mapping

from domain.digests import Digests
from domain.errors import InvalidInput

Components = dict[str, str]
SAME_DEVICE_NUMERATOR, SAME_DEVICE_DENOMINATOR = 7, 10
MAX_COMPONENTS = 16
_NAME = re.compile(r"[a-z0-9_.-]{1,40}")
_HEX = re.compile(r"[0-9a-f]{16,128}")


def check_components(components: Mapping[str, str]) -> Components:
    """Between one and sixteen named components, each a lowercase hex digest."""
    if not isinstance(components, Mapping) or not 1 <= len(components) <= MAX_COMPONENTS:
        raise InvalidInput("fingerprint", f"between 1 and {MAX_COMPONENTS} components")
    for name, value in components.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidInput("fingerprint", f"bad component name {str(name)[:40]!r}")
        if not isinstance(value, str) or not _HEX.fullmatch(value):
            raise InvalidInput("fingerprint", f"component {name} is not a hex digest")
    return dict(components)


def seal(digests: Digests, components: Mapping[str, str]) -> Components:
    """The keyed HMAC of every component, as the server stores them."""
    checked = check_components(components)
    return {name: digests.digest("component", f"{name}={value}") for name, value in sorted(checked.items())}


def matching_share(a: Mapping[str, str], b: Mapping[str, str]) -> tuple[int, int]:
    """Equal components over all component names seen on either side."""
    names = a.keys() | b.keys()
    equal = sum(1 for name in names if name in a and name in b and a[name] == b[name])
    return equal, len(names)


def is_same_device(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """Strictly more than 70% of the components agree."""
    equal, total = matching_share(a, b)
    return total > 0 and equal * SAME_DEVICE_DENOMINATOR > SAME_DEVICE_NUMERATOR * total


def canonical(components: Mapping[str, str]) -> str:
    """One string for a whole fingerprint, independent of component order."""
    return ";".join(f"{name}={value}" for name, value in sorted(components.items()))
