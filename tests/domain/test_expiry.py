"""License expiry arithmetic."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from hypothesis import given, settings

from domain.expiry import Grant, expiry_of, extend
from tests.domain.aggregate_case import NOW, later
from tests.strategies import grant_lists, grants_and_an_insertion

LICENSE = UUID(int=1)


def test_extend_adds_to_a_still_valid_expiry() -> None:
    """Days run on from an expiry that has not passed."""
    assert extend(later(days=10), 30, NOW) == later(days=40)


def test_extend_starts_from_now_when_expired() -> None:
    """An expiry in the past is forgotten: the days run from now."""
    assert extend(later(days=-10), 30, NOW) == later(days=30)


def test_extend_starts_from_now_when_expiring_this_instant() -> None:
    """An expiry equal to now is no longer valid."""
    assert extend(NOW, 30, NOW) == later(days=30)


def test_extend_starts_from_now_without_an_expiry() -> None:
    """The first license time runs from now."""
    assert extend(None, 30, NOW) == later(days=30)


def test_no_grants_no_expiry() -> None:
    """An account that never had license time has no expiry."""
    assert expiry_of([]) is None


def test_expiry_of_renewals_before_and_after_lapsing() -> None:
    """A renewal before expiry stacks; one after a lapse starts afresh."""
    first = Grant(LICENSE, NOW, 30)
    early_renewal = Grant(LICENSE, later(days=20), 30)
    late_renewal = Grant(LICENSE, later(days=100), 10)
    assert expiry_of([first, early_renewal]) == later(days=60)
    assert expiry_of([first, early_renewal, late_renewal]) == later(days=110)


@given(grant_lists(min_size=1))
def test_expiry_of_equals_successive_extends(given_grants: list[Grant]) -> None:
    """Applying grants at once is the same as extending by each in turn."""
    expiry = None
    for grant in given_grants:
        expiry = extend(expiry, grant.days, grant.at)
    assert expiry_of(given_grants) == expiry


@given(grant_lists(min_size=1))
def test_expiry_is_at_least_the_last_grant_from_its_moment(given_grants: list[Grant]) -> None:
    """The last grant's days always count in full from the moment it was given."""
    last = given_grants[-1]
    expiry = expiry_of(given_grants)
    assert expiry is not None
    assert expiry >= last.at + timedelta(days=last.days)


@given(grants_and_an_insertion())
@settings(max_examples=200)
def test_more_grants_never_shorten_the_expiry(insertion: tuple[list[Grant], Grant, int]) -> None:
    """Adding a grant anywhere in the sequence never moves the expiry earlier (at the end: later)."""
    given_grants, extra, position = insertion
    before = expiry_of(given_grants)
    after = expiry_of([*given_grants[:position], extra, *given_grants[position:]])
    assert after is not None
    assert before is None or after >= before
    if position == len(given_grants):
        assert before is None or after > before
