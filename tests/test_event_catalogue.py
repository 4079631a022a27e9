"""The event catalogue (docs/events.md) covers every stored event, and stored topic strings never change."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from pathlib import Path
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

import domain

CATALOGUE = Path(__file__).resolve().parent.parent / "docs" / "events.md"
# Fields every event has from the library; the catalogue documents them once, not per event.
ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic"}
# eventsourcing defines `Event` and `Created` on every aggregate class as bases. Ours create through an
# explicit class bound to `__init__`, so these are never stored while they declare no fields of their own.
LIBRARY_BASES = {"Event", "Created"}
HEADING = re.compile(r"^### `(?P<topic>[^`]+)` \(v(?P<version>\d+)\)$")
FIELD_ROW = re.compile(r"^\| `(?P<name>\w+)` \|", re.MULTILINE)

# Stored data: a failure here means a rename. Keep the old topic readable with
# `eventsourcing.utils.register_topic(old, NewClass)` before changing this set.
PINNED_EVENT_TOPICS = {
    "domain.account:Account.Registered",
    "domain.account:Account.PasswordChanged",
    "domain.account:Account.RoleChanged",
    "domain.account:Account.DeviceLimitSet",
    "domain.account:Account.Banned",
    "domain.account:Account.Unbanned",
    "domain.account:Account.LicenseApplied",
    "domain.account:Account.LicenseWithdrawn",
    "domain.account:Account.DeviceAttached",
    "domain.account:Account.DeviceDetached",
    "domain.account:Account.LoggedIn",
    "domain.account:Account.SessionEnded",
    "domain.account:Account.LoginFailed",
    "domain.account:Account.LicenseExpired",
    "domain.account:Account.Erased",
    "domain.account:Account.PersonalDataExported",
    "domain.day_key:DayKey.Destroyed",
    "domain.license:License.Issued",
    "domain.license:License.Activated",
    "domain.license:License.Extended",
    "domain.license:License.Suspended",
    "domain.license:License.Reinstated",
    "domain.license:License.Revoked",
    "domain.device:Device.Bound",
    "domain.device:Device.FingerprintUpdated",
    "domain.device:Device.PublicKeyRegistered",
    "domain.device:Device.Renamed",
    "domain.device:Device.Released",
    "domain.device:Device.HeartbeatLost",
    "domain.device:Device.HeartbeatResumed",
    "domain.session:Session.Opened",
    "domain.session:Session.Rotated",
    "domain.session:Session.GraceRotated",
    "domain.session:Session.Closed",
    "domain.ip_address:IpAddress.Tracked",
    "domain.ip_address:IpAddress.LoginFailed",
    "domain.ip_address:IpAddress.Blocked",
    "domain.ip_address:IpAddress.Unblocked",
    "domain.alert:Alert.Raised",
    "domain.crash_report:CrashReport.Reported",
    "domain.release:Release.Published",
    "domain.release:Release.Withdrawn",
    "domain.release:Release.Republished",
    "domain.download:Download.Downloaded",
    "domain.index:IndexEntry.Claimed",
    "domain.index:IndexEntry.Repointed",
    "domain.idempotency:IdempotencyRecord.Recorded",
    "domain.api_key:ApiKey.Created",
    "domain.api_key:ApiKey.Revoked",
    "domain.api_key:ApiKey.RevokedKeyUsed",
    "domain.alert:Alert.Acknowledged",
    "domain.webhook:WebhookEndpoint.Registered",
    "domain.webhook:WebhookEndpoint.Updated",
    "domain.webhook:WebhookEndpoint.SecretRotated",
    "domain.webhook:WebhookEndpoint.Disabled",
    "domain.webhook:WebhookEndpoint.Enabled",
    "domain.webhook:WebhookEndpoint.Removed",
    "domain.webhook:WebhookEndpoint.ResendRequested",
}
# Creation events store their aggregate's class path too (`originator_topic`).
PINNED_AGGREGATE_TOPICS = {
    "domain.account:Account",
    "domain.license:License",
    "domain.device:Device",
    "domain.session:Session",
    "domain.ip_address:IpAddress",
    "domain.alert:Alert",
    "domain.crash_report:CrashReport",
    "domain.release:Release",
    "domain.download:Download",
    "domain.index:IndexEntry",
    "domain.idempotency:IdempotencyRecord",
    "domain.api_key:ApiKey",
    "domain.webhook:WebhookEndpoint",
    "domain.day_key:DayKey",
}


def own_fields(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)} - ENVELOPE


def aggregate_classes() -> list[type[Aggregate]]:
    """Every aggregate class defined in a module of the ``domain`` package."""
    found: list[type[Aggregate]] = []
    for info in pkgutil.walk_packages(domain.__path__, f"{domain.__name__}."):
        module = importlib.import_module(info.name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Aggregate) and value.__module__ == info.name
        ]
    return found


def event_classes() -> dict[str, type[CanMutateAggregate[UUID]]]:
    """Every event class nested in an aggregate, by topic, without the library's empty bases."""
    return {
        get_topic(value): value
        for aggregate in aggregate_classes()
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, CanMutateAggregate)
        and not (name in LIBRARY_BASES and not own_fields(value))
    }


def catalogue() -> dict[str, tuple[int, set[str]]]:
    """The events documented in docs/events.md: topic -> (version, field names)."""
    sections = re.split(r"(?m)^(?=#{1,3} )", CATALOGUE.read_text(encoding="utf-8"))
    documented: dict[str, tuple[int, set[str]]] = {}
    for section in sections:
        heading = HEADING.match(section.split("\n", 1)[0])
        if heading:
            fields = set(FIELD_ROW.findall(section))
            documented[heading["topic"]] = (int(heading["version"]), fields)
    return documented


def test_every_event_class_is_in_the_catalogue() -> None:
    """Every event class of every aggregate has a section in docs/events.md, and none is stale."""
    discovered, documented = set(event_classes()), set(catalogue())
    assert not discovered - documented, f"missing from docs/events.md: {sorted(discovered - documented)}"
    assert not documented - discovered, f"documented but gone: {sorted(documented - discovered)}"


def test_catalogue_matches_each_event_schema() -> None:
    """Each documented event lists exactly the class's fields and its class version."""
    documented = catalogue()
    for topic, cls in event_classes().items():
        version = getattr(cls, "class_version", 1)
        assert documented[topic] == (version, own_fields(cls)), topic


def test_stored_topics_are_pinned() -> None:
    """Every stored topic string is pinned: renaming an event or aggregate class fails here."""
    assert set(event_classes()) == PINNED_EVENT_TOPICS
    assert {get_topic(cls) for cls in aggregate_classes()} == PINNED_AGGREGATE_TOPICS
