"""Abuse rules: automatic IP blocks with expiry, and alerts raised once per window."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.event_source import LedgerEvents
from domain.alert import Alert
from domain.context import AuditContext
from domain.ip_address import IpAddress
from domain.ledger.service import Ledger
from domain.roles import Role
from projections import catalogue
from projections.runner import Catchup
from projections.store import ReadStore
from workers.abuse import AbuseRules, Thresholds

COMPONENTS = {"machine_id": "aa" * 16, "board": "bb" * 16, "cpu": "cc" * 16}


def from_address(ip: str, actor: str = "anonymous") -> AuditContext:
    return AuditContext(actor=actor, request_id="r", client_ip=ip, user_agent="test")


def stored(ledger: Ledger, topic_suffix: str) -> list[object]:
    return [
        ledger.mapper.to_domain_event(n)
        for n in ledger.recorder.select_notifications(start=1, limit=10_000)
        if n.topic.endswith(topic_suffix)
    ]


def test_address_failing_against_many_accounts_is_blocked_then_released(
    ledger: Ledger, read_store: ReadStore, now: datetime, ctx: AuditContext
) -> None:
    """Failures against 5 accounts from one address block it (with reason and end) and raise one alert;
    the block ends by itself."""
    accounts = [ledger.register(f"victim{i}", "correct horse", Role.USER, now, ctx).value for i in range(5)]
    for account in accounts:
        ledger.record_login_failure(account, now, from_address("198.51.100.66"))
    catchup = Catchup(read_store, catalogue.ALL, LedgerEvents(ledger))
    catchup.create_tables()
    catchup.catch_up()
    rules = AbuseRules(ledger, read_store, Thresholds())
    assert rules.run_once(now) == 2
    assert rules.run_once(now) == 0
    assert ledger.is_blocked("198.51.100.66", now)
    blocked = stored(ledger, "IpAddress.Blocked")
    assert len(blocked) == 1
    assert isinstance(blocked[0], IpAddress.Blocked)
    assert blocked[0].context["actor"] == "system:policies"
    assert "repeated login failures" in str(blocked[0].context["reason"])
    assert blocked[0].until == now + Thresholds().block_for
    assert not ledger.is_blocked("198.51.100.66", now + Thresholds().block_for)
    alerts = stored(ledger, "Alert.Raised")
    assert [a.kind for a in alerts if isinstance(a, Alert.Raised)] == ["ip_many_accounts"]


def test_account_failing_from_many_addresses_and_fingerprint_churn_alert(
    ledger: Ledger, read_store: ReadStore, now: datetime, ctx: AuditContext
) -> None:
    """An account failing from 5 addresses, and 5 device changes in an hour, each raise one alert."""
    account = ledger.register("target", "correct horse", Role.USER, now, ctx).value
    ledger.set_device_limit(account, 10, now, ctx)
    for i in range(5):
        ledger.record_login_failure(account, now, from_address(f"203.0.113.{i + 1}"))
        components = {**COMPONENTS, "machine_id": f"{i:02x}" * 16, "board": f"{i + 20:02x}" * 16}
        ledger.bind_device(account, components, None, "pc", "1", now, from_address("192.0.2.1", str(account)))
    catchup = Catchup(read_store, catalogue.ALL, LedgerEvents(ledger))
    catchup.create_tables()
    catchup.catch_up()
    AbuseRules(ledger, read_store).run_once(now)
    AbuseRules(ledger, read_store).run_once(now + timedelta(seconds=5))
    kinds = sorted(a.kind for a in stored(ledger, "Alert.Raised") if isinstance(a, Alert.Raised))
    assert kinds == ["account_many_ips", "fingerprint_churn"]


def fail_against_five(ledger: Ledger, now: datetime, ctx: AuditContext, addresses: list[str]) -> None:
    """Five accounts, each failing once from the next of ``addresses`` (cycled)."""
    tag = now.strftime("%H%M%S")
    for i in range(5):
        account = ledger.register(f"v{tag}_{i}", "correct horse", Role.USER, now, ctx).value
        ledger.record_login_failure(account, now, from_address(addresses[i % len(addresses)]))


def test_an_admins_unblock_holds(
    ledger: Ledger, read_store: ReadStore, now: datetime, ctx: AuditContext
) -> None:
    """After an admin lifts an automatic block, the failures that caused it are not counted again; new
    failures after the unblock can block the address again."""
    fail_against_five(ledger, now, ctx, ["198.51.100.77"])
    catchup = Catchup(read_store, catalogue.ALL, LedgerEvents(ledger))
    catchup.create_tables()
    catchup.catch_up()
    rules = AbuseRules(ledger, read_store)
    rules.run_once(now)
    assert ledger.is_blocked("198.51.100.77", now)
    later = now + timedelta(seconds=30)
    ledger.unblock_ip("198.51.100.77", later, ctx.with_reason("a customer's office"))
    catchup.catch_up()
    for seconds in (35, 40, 45):
        rules.run_once(now + timedelta(seconds=seconds))
        assert not ledger.is_blocked("198.51.100.77", now + timedelta(seconds=seconds))
    again = now + timedelta(seconds=50)
    fail_against_five(ledger, again, ctx, ["198.51.100.77"])
    catchup.catch_up()
    rules.run_once(again)
    assert ledger.is_blocked("198.51.100.77", again)


def test_failures_count_per_ipv6_64(
    ledger: Ledger, read_store: ReadStore, now: datetime, ctx: AuditContext
) -> None:
    """Five addresses of one IPv6 /64 failing against five accounts are one client: the /64 is blocked
    (an attacker rotating through the 2^64 addresses of their own network gains nothing)."""
    fail_against_five(ledger, now, ctx, [f"2001:db8:5:6::{i + 1:x}" for i in range(5)])
    catchup = Catchup(read_store, catalogue.ALL, LedgerEvents(ledger))
    catchup.create_tables()
    catchup.catch_up()
    AbuseRules(ledger, read_store).run_once(now)
    assert ledger.is_blocked("2001:db8:5:6::ffff", now)
    blocked = stored(ledger, "IpAddress.Blocked")
    assert len(blocked) == 1
