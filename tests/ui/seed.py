"""A ledger with something on every admin page: users (one banned), keys in every status with notes, a
device, web and desktop sessions from known browsers, a crash report, an alert, a blocked address, an API
key, a published release with a file, a webhook endpoint. Names are chosen so that no name is also an enum
value or an id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.alert import AlertKind
from domain.context import AuditContext
from domain.crash_report import Reporter
from domain.ledger.service import Ledger
from domain.release import ReleaseFile
from domain.roles import Role
from domain.session import SessionKind
from tests.api.harness import COMPONENTS, PASSWORD
from tests.domain.test_crash_report import DETAILS

WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)


def seed(ledger: Ledger) -> None:
    now = datetime.now(UTC)
    admin = ledger.register("boss", PASSWORD, Role.ADMIN, now, AuditContext(actor="test")).value
    by_admin = AuditContext(actor=str(admin), client_ip="192.0.2.10", user_agent=WINDOWS_CHROME)
    mina = ledger.register("mina", PASSWORD, Role.USER, now, by_admin).value
    jun = ledger.register("jun", PASSWORD, Role.VIP, now, by_admin).value
    keys = ledger.issue_licenses(5, 5, Role.USER, 2, "spring promo", now, by_admin).value
    ledger.issue_licenses(2, 90, Role.VIP, 1, "reseller batch", now, by_admin)
    as_mina = AuditContext(actor=str(mina), client_ip="198.51.100.4", user_agent=WINDOWS_CHROME)
    ledger.activate_license(mina, keys[0].key, now, as_mina)
    ledger.suspend_license(keys[1].license_id, now, by_admin.with_reason("chargeback"))
    ledger.revoke_license(keys[2].license_id, now, by_admin.with_reason("leaked"))
    device = ledger.bind_device(mina, COMPONENTS, None, "mina-laptop", "0.1.0", now, as_mina).value.device_id
    session = ledger.open_session(mina, SessionKind.DESKTOP, device, now, as_mina).value
    phone = AuditContext(actor=str(mina), client_ip="198.51.100.5", user_agent=IPHONE_SAFARI)
    ledger.open_session(mina, SessionKind.WEB, None, now, phone)
    reporter = Reporter(mina, device, session.session_id)
    ledger.report_crash(reporter, DETAILS, now, as_mina)
    ledger.raise_alert(AlertKind.FINGERPRINT_CHURN, str(device), 4, now, now, AuditContext.system("policies"))
    ledger.ban(jun, now + timedelta(days=3), now, by_admin.with_reason("abuse"))
    ledger.block_ip("203.0.113.7", None, now, by_admin.with_reason("scanner"))
    ledger.create_api_key("billing sync", ["licenses:read"], None, now, by_admin)
    installer = ReleaseFile(
        UUID(int=7), "studio-setup.exe", 48_213_504, "ab" * 32, "release-studio", 48_220_000
    )
    notes = "Faster start-up; fixes the crash when the licence server is unreachable."
    ledger.publish_release(
        "studio", "stable", "windows-x64", "2.4.1", notes, Role.USER, [installer], now, by_admin
    )
    ledger.register_webhook(
        "https://crm.example.com/keyledger", ["License.*"], "crm sync", "kl-sealed", now, by_admin
    )
