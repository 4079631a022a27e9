"""Every Hypothesis strategy the tests use, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from hypothesis import strategies as st

from domain import license_keys
from domain.crash_report import KINDS, CrashDetails
from domain.expiry import MAX_DAYS, Grant
from domain.roles import LICENSE_TIERS, Role

Step = tuple[str, int, int]
"""One command of a generated history: its name, a small integer argument and the minutes it comes after
the step before."""

EARLIEST = datetime(2024, 1, 1)
LATEST = datetime(2034, 1, 1)

# A handful of component names and values, so that two generated fingerprints often share some.
COMPONENT_NAMES = ("machine_id", "board", "cpu", "disk", "mac", "bios", "gpu", "os.install", "tpm-ek", "ram")
COMPONENT_VALUES = ("aa" * 16, "bb" * 16, "cc" * 16, "0123456789abcdef")


def moments() -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes over a decade."""
    return st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.just(UTC))


def days() -> st.SearchStrategy[int]:
    """A license duration in days."""
    return st.integers(min_value=1, max_value=MAX_DAYS)


def grants() -> st.SearchStrategy[Grant]:
    """License time given to an account at some moment."""
    return st.builds(Grant, license_id=st.uuids(), at=moments(), days=days())


def usernames() -> st.SearchStrategy[str]:
    """Valid usernames."""
    return st.from_regex(r"[A-Za-z0-9_]{3,50}", fullmatch=True)


def passwords() -> st.SearchStrategy[str]:
    """Valid passwords: any 8-128 characters."""
    return st.text(min_size=8, max_size=128)


def key_bodies() -> st.SearchStrategy[str]:
    """The 24 random characters of a license key."""
    return st.text(
        alphabet=license_keys.ALPHABET, min_size=license_keys.BODY_CHARS, max_size=license_keys.BODY_CHARS
    )


def canonical_keys() -> st.SearchStrategy[str]:
    """Valid license keys in canonical form (25 characters, no hyphens)."""
    return key_bodies().map(lambda body: body + license_keys.check_character(body))


def components() -> st.SearchStrategy[dict[str, str]]:
    """Fingerprints as a client sends them, drawn from a small pool so that they overlap."""
    return st.dictionaries(
        st.sampled_from(COMPONENT_NAMES), st.sampled_from(COMPONENT_VALUES), min_size=1, max_size=10
    )


def hex_digests() -> st.SearchStrategy[str]:
    """Any valid component value: 16-128 lowercase hex characters."""
    return st.text(alphabet="0123456789abcdef", min_size=16, max_size=128)


def component_names() -> st.SearchStrategy[str]:
    """Any valid component name."""
    return st.from_regex(r"[a-z0-9_.-]{1,40}", fullmatch=True)


def histories(commands: Sequence[str], max_size: int = 25) -> st.SearchStrategy[list[Step]]:
    """A sequence of commands on one aggregate (some of which its rules will refuse)."""
    step = st.tuples(st.sampled_from(commands), st.integers(0, 5), st.integers(0, 3 * 24 * 60))
    return st.lists(step, max_size=max_size)


# --- license keys -------------------------------------------------------------------------------------
@st.composite
def key_typos(draw: st.DrawFn) -> tuple[str, str]:
    """A valid key and the same key with exactly one character replaced by another key character."""
    key = draw(canonical_keys())
    position = draw(st.integers(0, license_keys.KEY_CHARS - 1))
    char = draw(st.sampled_from(license_keys.ALPHABET.replace(key[position], "")))
    return key, key[:position] + char + key[position + 1 :]


@st.composite
def key_swaps(draw: st.DrawFn) -> tuple[str, str]:
    """A valid key and the same key with two different neighbours swapped (the check character too)."""
    key = draw(canonical_keys().filter(lambda k: len(set(k)) > 1))
    positions = [i for i in range(license_keys.KEY_CHARS - 1) if key[i] != key[i + 1]]
    i = draw(st.sampled_from(positions))
    return key, key[:i] + key[i + 1] + key[i] + key[i + 2 :]


@st.composite
def mislengthed_keys(draw: st.DrawFn) -> str:
    """A valid key with one to three characters cut off or repeated at the end."""
    key, cut = draw(canonical_keys()), draw(st.integers(1, 3))
    return draw(st.sampled_from([key[:-cut], key + key[:cut]]))


# --- digests ------------------------------------------------------------------------------------------
def index_purposes() -> st.SearchStrategy[str]:
    return st.text(max_size=20)


def index_values() -> st.SearchStrategy[str]:
    return st.text(max_size=100)


# --- expiry -------------------------------------------------------------------------------------------
def grant_lists(min_size: int = 0) -> st.SearchStrategy[list[Grant]]:
    return st.lists(grants(), min_size=min_size, max_size=8)


@st.composite
def grants_and_an_insertion(draw: st.DrawFn) -> tuple[list[Grant], Grant, int]:
    """Some grants, one more, and where in the sequence it goes."""
    given = draw(grant_lists())
    return given, draw(grants()), draw(st.integers(0, len(given)))


# --- accounts -----------------------------------------------------------------------------------------
LICENSE_IDS = tuple(UUID(int=300 + i) for i in range(3))


def license_ids() -> st.SearchStrategy[UUID]:
    return st.sampled_from(LICENSE_IDS)


def license_applications() -> st.SearchStrategy[list[tuple[UUID, int, int]]]:
    """Licenses applied in turn: which license, its days, and the days since the one before."""
    return st.lists(st.tuples(license_ids(), days(), st.integers(0, 400)), min_size=1, max_size=8)


def small_ids() -> st.SearchStrategy[int]:
    """An index into a handful of devices, sessions or licenses, so that commands meet again."""
    return st.integers(0, 5)


def minutes() -> st.SearchStrategy[int]:
    """Time passing between commands: up to three days."""
    return st.integers(1, 3 * 24 * 60)


def device_limits() -> st.SearchStrategy[int]:
    """Small device limits, so that they are reached."""
    return st.integers(1, 4)


def ban_hours() -> st.SearchStrategy[int | None]:
    """A ban's length in hours, or none for a permanent ban."""
    return st.none() | st.integers(1, 72)


def tiers() -> st.SearchStrategy[Role]:
    return st.sampled_from(LICENSE_TIERS)


# --- sessions -----------------------------------------------------------------------------------------
def presented_tokens() -> st.SearchStrategy[str]:
    """Which token a client presents: the current one, the previous one, an older one, or a forgery."""
    return st.sampled_from(["current", "previous", "spent", "unknown"])


def refresh_gaps() -> st.SearchStrategy[int]:
    """Seconds between refreshes: often within the 30 s grace window, sometimes days."""
    return st.integers(0, 120) | st.integers(0, 3 * 24 * 3600)


def json_values() -> st.SearchStrategy[object]:
    """Any JSON value (lone surrogates, huge and non-finite numbers included)."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )


def header_texts() -> st.SearchStrategy[str]:
    """What a client can put in a header or a query parameter: any short text."""
    return st.text(max_size=60) | st.from_regex(r"[0-9]{1,25}", fullmatch=True)


# --- crash reports ------------------------------------------------------------------------------------
def labels(max_size: int) -> st.SearchStrategy[str]:
    """A short printable label (a version, a platform)."""
    return st.text(st.characters(codec="utf-8", exclude_categories=("C", "Z")), min_size=1, max_size=max_size)


def crash_details() -> st.SearchStrategy[CrashDetails]:
    """Crash reports a client may send: any Unicode in the free text (NUL and controls included)."""
    free = st.text(st.characters(codec="utf-8"), max_size=300)
    return st.builds(
        CrashDetails,
        report_id=st.uuids(),
        occurred_at=moments(),
        client_version=labels(32),
        app_version=st.none() | labels(100),
        platform=labels(200),
        python=labels(100),
        kind=st.sampled_from(KINDS),
        summary=st.text(st.characters(codec="utf-8"), min_size=1, max_size=200),
        traceback=free,
        log_tail=free,
    )


# Pieces of real User-Agent headers, so that generated headers often look like (and half match) real ones.
USER_AGENT_PIECES = (
    "Mozilla/5.0 ",
    "(Windows NT 10.0; Win64; x64) ",
    "(iPhone; CPU iPhone OS 17_1 like Mac OS X) ",
    "(Linux; Android 14; SM-S918B) ",
    "(Macintosh; Intel Mac OS X 10_15_7) ",
    "AppleWebKit/537.36 (KHTML, like Gecko) ",
    "Chrome/120.0.0.0 ",
    "Version/17.1 Mobile/15E148 Safari/604.1",
    "Edg/120.0",
    "Firefox/",
    "OPR/",
    "/",
    "999999999",
    " ",
)


def user_agents() -> st.SearchStrategy[str]:
    """Untrusted User-Agent headers: arbitrary text, and shuffles of real headers' pieces."""
    pieces = st.lists(st.sampled_from(USER_AGENT_PIECES) | st.text(max_size=12), max_size=12)
    return st.text(max_size=600) | pieces.map("".join)
