"""Release use cases: publish (unique per product, channel, platform and version), withdraw with a
reason, publish again."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.context import AuditContext
from domain.errors import ReleaseExists
from domain.index import IndexEntry, IndexKind
from domain.ledger.base import LedgerBase, Written, retried
from domain.release import Release, ReleaseFile, check_label
from domain.roles import Role
from domain.semver import parse_version


def release_key(product: str, channel: str, platform: str, version: str) -> str:
    """What makes a release unique: build metadata aside, one version per product, channel and platform."""
    return "|".join((product, channel, platform, parse_version(version).core))


class ReleaseCommands(LedgerBase):
    def release(self, release_id: UUID) -> Release:
        return self.load(Release, release_id, "release")

    @retried
    def publish_release(
        self,
        product: str,
        channel: str,
        platform: str,
        version: str,
        notes: str,
        min_tier: Role,
        files: list[ReleaseFile],
        now: datetime,
        ctx: AuditContext,
    ) -> Written[UUID]:
        """Publishes a release whose files are already sealed and stored."""
        check_label("product", product), check_label("channel", channel), check_label("platform", platform)
        index_id = self.index_id(IndexKind.RELEASE, release_key(product, channel, platform, version))
        if self.find(IndexEntry, index_id) is not None:
            raise ReleaseExists(f"{product} {version} for {channel}/{platform} is already published")
        release = Release.publish(
            release_id=self.new_id(),
            product=product,
            channel=channel,
            platform=platform,
            version=version,
            notes=notes,
            min_tier=min_tier,
            files=files,
            now=now,
            ctx=ctx,
        )
        index = IndexEntry.claim(index_id=index_id, kind=IndexKind.RELEASE, target_id=release.id, now=now)
        return self.commit(release.id, release, index)

    @retried
    def withdraw_release(self, release_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        release = self.release(release_id)
        release.withdraw(now, ctx)
        return self.commit(None, release)

    @retried
    def republish_release(self, release_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        release = self.release(release_id)
        release.republish(now, ctx)
        return self.commit(None, release)
