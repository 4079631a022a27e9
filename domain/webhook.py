"""The WebhookEndpoint aggregate: a URL an admin registered to receive events of chosen types, signed per
the Standard Webhooks spec. Its signing secret is stored sealed (the API seals it; the domain never sees
it in clear). Rotation keeps the previous secret valid for a while, so receivers can switch without loss.
An endpoint is disabled by an admin or, after deliveries kept failing for the whole retry schedule, by the
webhook worker; it is removed for good."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.errors import EndpointRemoved, InvalidInput

MAX_URL = 2000
MAX_TYPES = 50
MAX_DESCRIPTION = 200
ROTATION_OVERLAP = timedelta(hours=24)
EVENT_TYPE = re.compile(r"^(\*|[A-Z][A-Za-z]{1,40}\.(\*|[A-Z][A-Za-z]{1,40}))$")


def check_url(url: str) -> str:
    """An absolute http(s) URL without credentials (where it may point is the API's SSRF check)."""
    parts = urlsplit(url) if isinstance(url, str) and len(url) <= MAX_URL else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url", f"an absolute http(s) URL of at most {MAX_URL} characters")
    if parts.username or parts.password or not url.isprintable() or " " in url:
        raise InvalidInput("url", "no credentials, spaces or control characters in the URL")
    return url


def check_event_types(types: list[str]) -> list[str]:
    """``Aggregate.Event`` names, ``Aggregate.*`` or ``*``; at least one."""
    found = sorted(set(types))
    if not 1 <= len(found) <= MAX_TYPES or not all(EVENT_TYPE.match(t) for t in found):
        raise InvalidInput("event_types", "1-50 of 'License.Issued', 'Alert.*' or '*'")
    return found


def matches(types: list[str] | tuple[str, ...], event_type: str) -> bool:
    aggregate = event_type.split(".", 1)[0]
    return "*" in types or event_type in types or f"{aggregate}.*" in types


def check_description(text: str) -> str:
    if len(text) > MAX_DESCRIPTION or "\x00" in text:
        raise InvalidInput("description", f"at most {MAX_DESCRIPTION} characters, no NUL")
    return text


class WebhookEndpoint(Aggregate):
    class Registered(Aggregate.Created):
        url: str
        event_types: list[str]
        description: str
        sealed_secret: str
        context: ContextData

    class Updated(Aggregate.Event):
        url: str
        event_types: list[str]
        description: str
        context: ContextData

    class SecretRotated(Aggregate.Event):
        sealed_secret: str
        previous_valid_until: datetime
        context: ContextData

    class Disabled(Aggregate.Event):
        failing: bool
        context: ContextData

    class Enabled(Aggregate.Event):
        context: ContextData

    class Removed(Aggregate.Event):
        context: ContextData

    class ResendRequested(Aggregate.Event):
        position: int
        context: ContextData

    @event(Registered)
    def __init__(
        self, url: str, event_types: list[str], description: str, sealed_secret: str, context: ContextData
    ) -> None:
        self.url, self.event_types, self.description = url, list(event_types), description
        self.sealed_secret = sealed_secret
        self.previous_secret: str | None = None
        self.previous_valid_until: datetime | None = None
        self.enabled, self.removed, self.disabled_for_failing = True, False, False

    @classmethod
    def register(
        cls,
        *,
        endpoint_id: Any,
        url: str,
        event_types: list[str],
        description: str,
        sealed_secret: str,
        now: datetime,
        ctx: AuditContext,
    ) -> WebhookEndpoint:
        return cls._create(
            cls.Registered,
            id=endpoint_id,
            url=check_url(url),
            event_types=check_event_types(event_types),
            description=check_description(description),
            sealed_secret=sealed_secret,
            context=ctx.as_event_data(),
            timestamp=now,
        )

    def check_not_removed(self) -> None:
        if self.removed:
            raise EndpointRemoved("this webhook endpoint was removed")

    def secrets_at(self, now: datetime) -> list[str]:
        """The sealed secrets to sign with now: the current one, and the previous one while it overlaps."""
        keep = self.previous_secret and self.previous_valid_until and now < self.previous_valid_until
        return [self.sealed_secret, *([self.previous_secret] if keep and self.previous_secret else [])]

    def update(
        self, url: str, event_types: list[str], description: str, now: datetime, ctx: AuditContext
    ) -> None:
        self.check_not_removed()
        self._updated(
            url=check_url(url),
            event_types=check_event_types(event_types),
            description=check_description(description),
            context=ctx.as_event_data(),
            timestamp=now,
        )

    @event(Updated)
    def _updated(
        self, url: str, event_types: list[str], description: str, context: ContextData, timestamp: datetime
    ) -> None:
        self.url, self.event_types, self.description = url, list(event_types), description

    def rotate_secret(self, sealed_secret: str, now: datetime, ctx: AuditContext) -> None:
        self.check_not_removed()
        self._rotated(
            sealed_secret=sealed_secret,
            previous_valid_until=now + ROTATION_OVERLAP,
            context=ctx.as_event_data(),
            timestamp=now,
        )

    @event(SecretRotated)
    def _rotated(
        self, sealed_secret: str, previous_valid_until: datetime, context: ContextData, timestamp: datetime
    ) -> None:
        self.previous_secret, self.sealed_secret = self.sealed_secret, sealed_secret
        self.previous_valid_until = previous_valid_until

    def disable(self, failing: bool, now: datetime, ctx: AuditContext) -> bool:
        """Disables the endpoint; False (nothing appended) if it already was."""
        self.check_not_removed()
        if not self.enabled:
            return False
        self._disabled(failing=failing, context=ctx.as_event_data(), timestamp=now)
        return True

    @event(Disabled)
    def _disabled(self, failing: bool, context: ContextData, timestamp: datetime) -> None:
        self.enabled, self.disabled_for_failing = False, failing

    def enable(self, now: datetime, ctx: AuditContext) -> bool:
        self.check_not_removed()
        if self.enabled:
            return False
        self._enabled(context=ctx.as_event_data(), timestamp=now)
        return True

    @event(Enabled)
    def _enabled(self, context: ContextData, timestamp: datetime) -> None:
        self.enabled, self.disabled_for_failing = True, False

    def remove(self, now: datetime, ctx: AuditContext) -> None:
        self.check_not_removed()
        self._removed(context=ctx.as_event_data(), timestamp=now)

    @event(Removed)
    def _removed(self, context: ContextData, timestamp: datetime) -> None:
        self.removed, self.enabled = True, False

    def request_resend(self, position: int, now: datetime, ctx: AuditContext) -> None:
        self.check_not_removed()
        if isinstance(position, bool) or not isinstance(position, int) or position < 1:
            raise InvalidInput("position", "a ledger position")
        self._resend(position=position, context=ctx.as_event_data(), timestamp=now)

    @event(ResendRequested)
    def _resend(self, position: int, context: ContextData, timestamp: datetime) -> None:
        return
