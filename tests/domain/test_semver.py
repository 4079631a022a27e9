"""Release versions are Semantic Versions, parsed strictly and ordered by SemVer precedence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.semver import parse_version

# semver.org §11's own example, in increasing precedence.
ORDERED = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.2.0",
    "2.0.0",
    "10.0.0",
]
NUMBER = st.integers(0, 10**6)
IDENT = st.from_regex(r"(0|[1-9][0-9]{0,3}|[0-9]{0,2}[A-Za-z-][0-9A-Za-z-]{0,4})", fullmatch=True)
VERSIONS = st.builds(
    lambda a, b, c, pre, build: (
        f"{a}.{b}.{c}" + (f"-{'.'.join(pre)}" if pre else "") + (f"+{build}" if build else "")
    ),
    NUMBER,
    NUMBER,
    NUMBER,
    st.lists(IDENT, max_size=3),
    st.sampled_from(["", "build.7", "sha.5114f85"]),
)


def test_precedence_follows_the_specification_example() -> None:
    """semver.org's example list is in increasing precedence, and build metadata is ignored."""
    keys = [parse_version(v).precedence for v in ORDERED]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert parse_version("1.0.0+build.1").precedence == parse_version("1.0.0").precedence


@pytest.mark.parametrize(
    "text",
    ["1", "1.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "v1.0.0", "1.0.0 ", "\uff11.0.0", "1." * 40 + "0"],
)
def test_anything_else_is_refused(text: str) -> None:
    """Leading zeros, missing parts, prefixes, non-ASCII digits, over-long text: ``InvalidInput``."""
    with pytest.raises(InvalidInput, match="version"):
        parse_version(text)


@given(VERSIONS)
def test_a_version_prints_as_it_was_written(text: str) -> None:
    """Parsing then printing gives the text back; the core is the text without build metadata."""
    version = parse_version(text)
    assert str(version) == text
    assert version.core == text.split("+", 1)[0]


@given(VERSIONS, VERSIONS)
def test_precedence_is_a_total_order_that_ignores_build_metadata(a: str, b: str) -> None:
    """Two versions compare equal exactly when their cores are equal."""
    va, vb = parse_version(a), parse_version(b)
    assert (va.precedence == vb.precedence) == (va.core == vb.core)
