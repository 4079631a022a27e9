"""Webhook endpoint use cases: register, update, rotate the secret, disable (by an admin or for failing),
enable, remove, and ask for a delivery again. Secrets arrive sealed: the ledger never holds one in clear."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.context import AuditContext
from domain.ledger.base import LedgerBase, Written, retried
from domain.webhook import WebhookEndpoint


class WebhookCommands(LedgerBase):
    def webhook(self, endpoint_id: UUID) -> WebhookEndpoint:
        return self.load(WebhookEndpoint, endpoint_id, "webhook endpoint")

    @retried
    def register_webhook(
        self,
        url: str,
        event_types: list[str],
        description: str,
        sealed_secret: str,
        now: datetime,
        ctx: AuditContext,
    ) -> Written[UUID]:
        endpoint_id = self.new_id()
        endpoint = WebhookEndpoint.register(
            endpoint_id=endpoint_id,
            url=url,
            event_types=event_types,
            description=description,
            sealed_secret=sealed_secret,
            now=now,
            ctx=ctx,
        )
        return self.commit(endpoint_id, endpoint)

    @retried
    def update_webhook(
        self,
        endpoint_id: UUID,
        url: str,
        event_types: list[str],
        description: str,
        now: datetime,
        ctx: AuditContext,
    ) -> Written[None]:
        endpoint = self.webhook(endpoint_id)
        endpoint.update(url, event_types, description, now, ctx)
        return self.commit(None, endpoint)

    @retried
    def rotate_webhook_secret(
        self, endpoint_id: UUID, sealed_secret: str, now: datetime, ctx: AuditContext
    ) -> Written[None]:
        endpoint = self.webhook(endpoint_id)
        endpoint.rotate_secret(sealed_secret, now, ctx)
        return self.commit(None, endpoint)

    @retried
    def disable_webhook(
        self, endpoint_id: UUID, failing: bool, now: datetime, ctx: AuditContext
    ) -> Written[bool]:
        endpoint = self.webhook(endpoint_id)
        if not endpoint.disable(failing, now, ctx):
            return Written(False, None)
        return self.commit(True, endpoint)

    @retried
    def enable_webhook(self, endpoint_id: UUID, now: datetime, ctx: AuditContext) -> Written[bool]:
        endpoint = self.webhook(endpoint_id)
        if not endpoint.enable(now, ctx):
            return Written(False, None)
        return self.commit(True, endpoint)

    @retried
    def remove_webhook(self, endpoint_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        endpoint = self.webhook(endpoint_id)
        endpoint.remove(now, ctx)
        return self.commit(None, endpoint)

    @retried
    def resend_webhook(
        self, endpoint_id: UUID, position: int, now: datetime, ctx: AuditContext
    ) -> Written[None]:
        endpoint = self.webhook(endpoint_id)
        endpoint.request_resend(position, now, ctx)
        return self.commit(None, endpoint)
