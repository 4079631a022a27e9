"""The License aggregate: issued once, activated once, then suspended, reinstated, extended or revoked."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

from domain.errors import Conflict, InvalidInput, LicenseAlreadyActivated, LicenseNotActivatable
from domain.license import License, LicenseStatus
from domain.roles import Role
from tests.domain.aggregate_case import BATCH_ID, CTX, NOW, given, issued, later, then, then_one

ACCOUNT, OTHER = UUID(int=400), UUID(int=401)


def activated() -> License:
    license_ = issued()
    license_.activate(ACCOUNT, NOW, CTX)
    return license_


def suspended() -> License:
    license_ = activated()
    license_.suspend(NOW, CTX)
    return license_


def revoked() -> License:
    license_ = activated()
    license_.revoke(NOW, CTX)
    return license_


def test_issue_records_the_keys_terms() -> None:
    """An issued license stores the key digest, never the key, with its terms; it is available."""
    license_ = issued(days=30, tier=Role.VIP, device_limit=2)
    event = then_one(license_, License.Issued)
    assert (event.key_digest, event.days, event.tier, event.device_limit, event.batch_id) == (
        "d" * 64,
        30,
        "vip",
        2,
        BATCH_ID,
    )
    assert license_.status is LicenseStatus.AVAILABLE


@pytest.mark.parametrize(("days", "device_limit"), [(0, 1), (3651, 1), (-1, 1), (30, 0), (30, 101)])
def test_issue_refuses_terms_out_of_range(days: int, device_limit: int) -> None:
    """Days must be 1-3650 and the device limit 1-100."""
    with pytest.raises(InvalidInput):
        issued(days=days, device_limit=device_limit)


def test_issue_refuses_an_admin_tier() -> None:
    """A license key never grants admin."""
    with pytest.raises(InvalidInput, match="tier"):
        issued(tier=Role.ADMIN)


def test_issue_refuses_a_long_note() -> None:
    """A note is at most 500 characters."""
    with pytest.raises(InvalidInput, match="note"):
        License.issue(
            license_id=UUID(int=1),
            key_digest="d" * 64,
            days=30,
            tier=Role.USER,
            device_limit=1,
            note="n" * 501,
            batch_id=BATCH_ID,
            now=NOW,
            ctx=CTX,
        )


def test_activate_binds_the_license_to_an_account() -> None:
    """An available license activates for one account, at that moment."""
    license_ = given(issued())
    license_.activate(ACCOUNT, later(hours=1), CTX)
    assert then_one(license_, License.Activated).account_id == ACCOUNT
    assert (license_.status, license_.account_id, license_.activated_at) == (
        LicenseStatus.ACTIVE,
        ACCOUNT,
        later(hours=1),
    )


@pytest.mark.parametrize("account", [ACCOUNT, OTHER])
def test_a_license_activates_once(account: UUID) -> None:
    """A second activation, by anyone, is LicenseAlreadyActivated."""
    license_ = given(activated())
    with pytest.raises(LicenseAlreadyActivated):
        license_.activate(account, NOW, CTX)
    assert then(license_) == []


@pytest.mark.parametrize("withdraw", ["suspend", "revoke"])
def test_suspended_or_revoked_license_cannot_activate(withdraw: str) -> None:
    """A key suspended or revoked before use is LicenseNotActivatable."""
    license_ = issued()
    getattr(license_, withdraw)(NOW, CTX)
    license_ = given(license_)
    with pytest.raises(LicenseNotActivatable):
        license_.activate(ACCOUNT, NOW, CTX)
    assert then(license_) == []


def test_suspend_an_active_license() -> None:
    """An active license can be suspended."""
    license_ = given(activated())
    license_.suspend(NOW, CTX)
    assert then(license_) == [License.Suspended]
    assert license_.status is LicenseStatus.SUSPENDED


def test_reinstate_a_suspended_license() -> None:
    """A suspended license is reinstated to active."""
    license_ = given(suspended())
    license_.reinstate(later(days=1), CTX)
    assert then(license_) == [License.Reinstated]
    assert license_.status is LicenseStatus.ACTIVE


def test_reinstating_an_unused_suspended_license_makes_it_available() -> None:
    """Reinstating a license suspended before activation makes it activatable again."""
    license_ = issued()
    license_.suspend(NOW, CTX)
    license_ = given(license_)
    license_.reinstate(NOW, CTX)
    assert license_.status is LicenseStatus.AVAILABLE
    license_.activate(ACCOUNT, NOW, CTX)
    assert then(license_) == [License.Reinstated, License.Activated]


STATE_RULES: list[tuple[Callable[[], License], str]] = [
    (suspended, "suspend"),
    (revoked, "suspend"),
    (activated, "reinstate"),
    (issued, "reinstate"),
    (revoked, "reinstate"),
    (revoked, "revoke"),
]


@pytest.mark.parametrize(("state", "command"), STATE_RULES, ids=[f"{s.__name__}-{c}" for s, c in STATE_RULES])
def test_state_rules_refuse_commands_that_do_not_apply(state: Callable[[], License], command: str) -> None:
    """No double suspension, no reinstating what is not suspended, no state change after a revocation."""
    license_ = given(state())
    with pytest.raises(Conflict):
        getattr(license_, command)(NOW, CTX)
    assert then(license_) == []


@pytest.mark.parametrize("state", [issued, activated, suspended])
def test_revoke_is_final(state: Callable[[], License]) -> None:
    """Any license that is not yet revoked can be revoked, and it stays revoked."""
    license_ = given(state())
    license_.revoke(NOW, CTX)
    assert then(license_) == [License.Revoked]
    assert license_.status is LicenseStatus.REVOKED


@pytest.mark.parametrize("state", [issued, activated, suspended])
def test_extend_adds_days(state: Callable[[], License]) -> None:
    """Extending adds to the license's days, whether available, active or suspended."""
    license_ = given(state())
    license_.extend(15, NOW, CTX)
    assert then_one(license_, License.Extended).days == 15
    assert license_.days == 45


def test_extend_refuses_a_revoked_license() -> None:
    """A revoked license is not extended."""
    license_ = given(revoked())
    with pytest.raises(Conflict):
        license_.extend(15, NOW, CTX)
    assert then(license_) == []


@pytest.mark.parametrize("days", [0, -5, 3651])
def test_extend_refuses_days_out_of_range(days: int) -> None:
    """An extension is 1-3650 days."""
    license_ = given(activated())
    with pytest.raises(InvalidInput):
        license_.extend(days, NOW, CTX)
    assert then(license_) == []
