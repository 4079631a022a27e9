"""License use cases: issue, activate, extend, suspend, reinstate, revoke; the state heartbeats report."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import license_keys
from domain.context import AuditContext
from domain.errors import Conflict, InvalidInput, LicenseAlreadyActivated, LicenseNotActivatable, NotFound
from domain.ledger.service import Ledger
from domain.license import LicenseStatus
from domain.roles import Role
from tests.fakes import SeededEntropy
from tests.ledger.scenarios import head, issued_key, registered

DAY = timedelta(days=1)


def test_issue_a_batch(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A batch issues distinct keys, each resolving to an available license of the batch's kind."""
    written = ledger.issue_licenses(3, 30, Role.VIP, 2, "partner", now, ctx)
    assert len({issued.key for issued in written.value}) == 3
    assert written.position == head(ledger)
    for issued in written.value:
        assert ledger.license_id_for_key(issued.key) == issued.license_id
        lic = ledger.license(issued.license_id)
        assert (lic.status, lic.days, lic.tier) == (LicenseStatus.AVAILABLE, 30, Role.VIP)
        assert lic.device_limit == 2
    batches = {ledger.license(issued.license_id).batch_id for issued in written.value}
    assert len(batches) == 1


@pytest.mark.parametrize(
    ("count", "days", "tier", "device_limit"),
    [
        (0, 30, Role.USER, 1),
        (1001, 30, Role.USER, 1),
        (True, 30, Role.USER, 1),
        (1, 0, Role.USER, 1),
        (1, 3651, Role.USER, 1),
        (1, 30, Role.USER, 0),
        (1, 30, Role.ADMIN, 1),
    ],
    ids=["none", "too-many", "bool", "no-days", "too-many-days", "no-devices", "admin-tier"],
)
def test_issue_refuses_bad_batches(
    ledger: Ledger, now: datetime, ctx: AuditContext, count: int, days: int, tier: Role, device_limit: int
) -> None:
    """A count outside 1-1000, bad days or limit, or the admin tier raise InvalidInput; nothing is written."""
    with pytest.raises(InvalidInput):
        ledger.issue_licenses(count, days, tier, device_limit, "", now, ctx)
    assert head(ledger) == 0


def test_activation_grants_time_tier_and_devices(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Activation starts the expiry from now (no valid license) and raises role and device limit."""
    alice = registered(ledger, now, ctx)
    issued = issued_key(ledger, now, ctx, days=30, tier=Role.VIP, device_limit=4)
    activation = ledger.activate_license(alice, issued.key, now, ctx).value
    assert activation.license_id == issued.license_id
    assert activation.expires_at == now + 30 * DAY
    account = ledger.account(alice)
    assert (account.license_expiry, account.role, account.device_limit) == (now + 30 * DAY, Role.VIP, 4)
    assert ledger.license(issued.license_id).account_id == alice


def test_activation_never_lowers_role_or_limit(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A user-tier key with a small limit leaves a vip's role and larger limit as they were."""
    vip = registered(ledger, now, ctx, role=Role.VIP)
    ledger.activate_license(vip, issued_key(ledger, now, ctx, tier=Role.USER, device_limit=1).key, now, ctx)
    assert (ledger.account(vip).role, ledger.account(vip).device_limit) == (Role.VIP, 3)


def test_activation_extends_a_valid_expiry(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A second key adds its days to the current expiry while that is still in the future."""
    alice = registered(ledger, now, ctx)
    ledger.activate_license(alice, issued_key(ledger, now, ctx, days=30).key, now, ctx)
    second = ledger.activate_license(alice, issued_key(ledger, now, ctx, days=10).key, now + 5 * DAY, ctx)
    assert second.value.expires_at == now + 40 * DAY


def test_activation_after_lapse_starts_from_now(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A key activated after the expiry has passed counts its days from the moment of activation."""
    alice = registered(ledger, now, ctx)
    ledger.activate_license(alice, issued_key(ledger, now, ctx, days=30).key, now, ctx)
    later = now + 40 * DAY
    assert ledger.activate_license(alice, issued_key(ledger, now, ctx).key, later, ctx).value.expires_at == (
        later + 30 * DAY
    )


def test_a_key_activates_once(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A second activation of a key, by the same or another account, raises LicenseAlreadyActivated."""
    alice, bob = registered(ledger, now, ctx, "alice"), registered(ledger, now, ctx, "bob")
    key = issued_key(ledger, now, ctx).key
    ledger.activate_license(alice, key, now, ctx)
    before = head(ledger)
    for account in (alice, bob):
        with pytest.raises(LicenseAlreadyActivated):
            ledger.activate_license(account, key, now, ctx)
    assert head(ledger) == before
    assert ledger.account(bob).license_expiry is None


def test_a_typed_key_is_forgiving(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A key typed in lower case, without hyphens, with O for 0 and l for 1, still activates."""
    alice = registered(ledger, now, ctx)
    key = issued_key(ledger, now, ctx).key
    typed = key.replace("-", " ").lower().replace("0", "o").replace("1", "l")
    assert ledger.activate_license(alice, typed, now, ctx).value.expires_at == now + 30 * DAY


@pytest.mark.parametrize("change", ["suspend", "revoke"])
def test_suspended_or_revoked_keys_do_not_activate(
    ledger: Ledger, now: datetime, ctx: AuditContext, change: str
) -> None:
    """A suspended or revoked key raises LicenseNotActivatable and writes nothing."""
    alice = registered(ledger, now, ctx)
    issued = issued_key(ledger, now, ctx)
    getattr(ledger, f"{change}_license")(issued.license_id, now, ctx)
    before = head(ledger)
    with pytest.raises(LicenseNotActivatable):
        ledger.activate_license(alice, issued.key, now, ctx)
    assert head(ledger) == before


def test_a_mistyped_key_is_invalid(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A key whose check character does not match raises InvalidInput (a typing mistake, not NotFound)."""
    alice = registered(ledger, now, ctx)
    key = issued_key(ledger, now, ctx).key
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
    with pytest.raises(InvalidInput, match="typing mistake"):
        ledger.activate_license(alice, wrong, now, ctx)


def test_an_unknown_key_is_not_found(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A well-formed key that was never issued raises NotFound."""
    alice = registered(ledger, now, ctx)
    with pytest.raises(NotFound):
        ledger.activate_license(alice, license_keys.generate(SeededEntropy(99)), now, ctx)


def test_extending_an_active_license_extends_the_account(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """Extending an activated license adds its days to the license and to the account's expiry."""
    alice = registered(ledger, now, ctx)
    issued = issued_key(ledger, now, ctx, days=30)
    ledger.activate_license(alice, issued.key, now, ctx)
    ledger.extend_license(issued.license_id, 15, now + DAY, ctx)
    assert ledger.license(issued.license_id).days == 45
    assert ledger.account(alice).license_expiry == now + 45 * DAY


def test_extending_an_available_license_lengthens_its_activation(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """Days added before activation are granted when the key is activated."""
    alice = registered(ledger, now, ctx)
    issued = issued_key(ledger, now, ctx, days=30)
    ledger.extend_license(issued.license_id, 5, now, ctx)
    assert ledger.activate_license(alice, issued.key, now, ctx).value.expires_at == now + 35 * DAY


def test_suspend_and_reinstate(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A suspended license makes the state license_suspended until it is reinstated."""
    alice = registered(ledger, now, ctx)
    issued = issued_key(ledger, now, ctx)
    ledger.activate_license(alice, issued.key, now, ctx)
    ledger.suspend_license(issued.license_id, now, ctx)
    state = ledger.license_state(alice, now)
    assert (state.valid, state.code, state.expires_at) == (False, "license_suspended", now + 30 * DAY)
    with pytest.raises(Conflict):
        ledger.suspend_license(issued.license_id, now, ctx)
    ledger.reinstate_license(issued.license_id, now, ctx)
    assert ledger.license_state(alice, now).valid
    with pytest.raises(Conflict):
        ledger.reinstate_license(issued.license_id, now, ctx)


def test_revoke_recomputes_the_expiry_without_the_license(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """Revoking one of two licenses leaves the expiry the other alone would have given."""
    alice = registered(ledger, now, ctx)
    first, second = issued_key(ledger, now, ctx, days=30), issued_key(ledger, now, ctx, days=10)
    ledger.activate_license(alice, first.key, now, ctx)
    ledger.activate_license(alice, second.key, now + DAY, ctx)
    assert ledger.account(alice).license_expiry == now + 40 * DAY
    ledger.revoke_license(first.license_id, now + 2 * DAY, ctx)
    assert ledger.account(alice).license_expiry == now + 11 * DAY
    assert ledger.license(first.license_id).status is LicenseStatus.REVOKED
    with pytest.raises(Conflict):
        ledger.revoke_license(first.license_id, now, ctx)
    with pytest.raises(Conflict):
        ledger.extend_license(first.license_id, 1, now, ctx)


def test_revoking_the_only_license_leaves_none(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Revoking an account's only license, extensions included, leaves it with no license."""
    alice = registered(ledger, now, ctx)
    issued = issued_key(ledger, now, ctx)
    ledger.activate_license(alice, issued.key, now, ctx)
    ledger.extend_license(issued.license_id, 10, now, ctx)
    ledger.revoke_license(issued.license_id, now, ctx)
    state = ledger.license_state(alice, now)
    assert (state.valid, state.code, state.expires_at) == (False, "no_license", None)


def test_license_state_codes(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """State is no_license before any key, valid until the expiry, license_expired from it on."""
    alice = registered(ledger, now, ctx)
    assert ledger.license_state(alice, now).code == "no_license"
    ledger.activate_license(alice, issued_key(ledger, now, ctx, days=30).key, now, ctx)
    assert ledger.license_state(alice, now + 30 * DAY - timedelta(seconds=1)).valid
    expired = ledger.license_state(alice, now + 30 * DAY)
    assert (expired.valid, expired.code, expired.expires_at) == (False, "license_expired", now + 30 * DAY)


def test_a_suspended_license_does_not_mask_another_ones_time(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """With one of two licenses suspended, the account stays valid on the other one's days alone."""
    account = registered(ledger, now, ctx)
    first, second = issued_key(ledger, now, ctx, days=30), issued_key(ledger, now, ctx, days=10)
    ledger.activate_license(account, first.key, now, ctx)
    ledger.activate_license(account, second.key, now, ctx)
    ledger.suspend_license(first.license_id, now, ctx)
    state = ledger.license_state(account, now + timedelta(days=5))
    assert (state.valid, state.expires_at) == (True, now + timedelta(days=10))
    late = ledger.license_state(account, now + timedelta(days=11))
    assert (late.valid, late.code) == (False, "license_suspended")
    assert ledger.license_state(account, now + timedelta(days=41)).code == "license_expired"
