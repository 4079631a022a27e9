"""The Release aggregate: published with its files' sizes and digests, withdrawn with a reason, published
again; its events are public records, so they carry no personal data."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.download import Download
from domain.errors import Conflict, InvalidInput
from domain.release import Release, ReleaseFile
from domain.roles import Role
from tests.domain.aggregate_case import CTX, NO_REASON, NOW, given, later, replay, then, then_one

FILE = ReleaseFile(UUID(int=20), "app.tar.gz", 1234, "ab" * 32, "release-x", 1300)


def published(
    files: list[ReleaseFile] | None = None, min_tier: Role = Role.VIP, version: str = "1.4.0"
) -> Release:
    return Release.publish(
        release_id=UUID(int=21),
        product="main",
        channel="stable",
        platform="linux-x86_64",
        version=version,
        notes="first",
        min_tier=min_tier,
        files=[FILE] if files is None else files,
        now=NOW,
        ctx=CTX,
    )


def test_publish_records_what_was_shipped_without_personal_data() -> None:
    """The event holds each file's size and SHA-256; its context keeps actor and request id but no
    address or user agent."""
    event = then_one(published(), Release.Published)
    assert (event.release_version, event.min_tier, event.files) == ("1.4.0", "vip", [FILE.as_event_data()])
    assert event.context == {**CTX.as_event_data(), "client_ip": None, "user_agent": None}


@pytest.mark.parametrize(
    "files",
    [
        [],
        [FILE, FILE],
        [ReleaseFile(UUID(int=1), "../etc/passwd", 1, "ab" * 32, "b", 2)],
        [ReleaseFile(UUID(int=1), ".hidden", 1, "ab" * 32, "b", 2)],
        [ReleaseFile(UUID(int=1), "a.bin", 1, "AB" * 32, "b", 2)],
    ],
    ids=["none", "same-name", "path", "dot-file", "upper-hex"],
)
def test_publish_refuses_bad_files(files: list[ReleaseFile]) -> None:
    """One to 16 files, distinct plain names, lowercase hex digests."""
    with pytest.raises(InvalidInput):
        published(files)


@pytest.mark.parametrize(("field", "value"), [("version", "1.4"), ("min_tier", "admin")])
def test_publish_refuses_a_bad_version_or_tier(field: str, value: str) -> None:
    """A version is SemVer; the lowest tier is user or vip."""
    with pytest.raises(InvalidInput):
        published(**{field: Role(value) if field == "min_tier" else value})  # type: ignore[arg-type]


def test_withdraw_needs_a_reason_and_happens_once() -> None:
    """A withdrawal without a reason is refused; a second one conflicts; publishing again restores it."""
    release = given(published())
    with pytest.raises(InvalidInput, match="reason"):
        release.withdraw(later(days=1), NO_REASON)
    release.withdraw(later(days=1), CTX)
    assert then(release) == [Release.Withdrawn]
    assert (release.withdrawn, release.withdraw_reason) == (True, "testing")
    with pytest.raises(Conflict):
        release.withdraw(later(days=2), CTX)
    release.republish(later(days=3), NO_REASON)
    assert then(release) == [Release.Republished]
    assert not release.withdrawn


def test_republishing_a_published_release_conflicts() -> None:
    """Only a withdrawn release is published again."""
    with pytest.raises(Conflict):
        given(published()).republish(NOW, CTX)


@pytest.mark.parametrize(("tier", "reaches"), [(Role.USER, False), (Role.VIP, True), (Role.ADMIN, True)])
def test_a_release_reaches_its_tier_and_above(tier: Role, reaches: bool) -> None:
    """A vip release is for vip licenses (and above), not user ones."""
    assert given(published(min_tier=Role.VIP)).reaches(tier) is reaches


def test_replaying_a_release_and_a_download_rebuilds_them() -> None:
    """Folding the stored events gives back the same release and download."""
    release = published()
    release.withdraw(later(days=1), CTX)
    events = release.collect_events()
    assert replay(Release, events).summary() == release.summary()
    download = Download.grant(
        grant_id=UUID(int=30),
        account_id=UUID(int=1),
        device_id=UUID(int=3),
        release_id=release.id,
        file_id=FILE.file_id,
        bytes_promised=1434,
        expires_at=later(hours=24),
        now=NOW,
        ctx=CTX,
    )
    assert replay(Download, download.collect_events()).summary() == download.summary()
