"""Who did what, from where: the audit context every event carries.

Personal data (DESIGN §10) lives in exactly two fields here, ``client_ip`` and ``user_agent``, so a later
erasure capability can encrypt them in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ContextData = dict[str, Any]


@dataclass(frozen=True)
class AuditContext:
    """The actor (an account id or ``system:<worker>``), request id, client address, user agent and reason."""

    actor: str
    request_id: str = ""
    client_ip: str | None = None
    user_agent: str | None = None
    reason: str | None = None

    @classmethod
    def system(cls, worker: str, reason: str | None = None) -> AuditContext:
        """The context of an event that a worker, not a person, caused."""
        return cls(actor=f"system:{worker}", reason=reason)

    def with_reason(self, reason: str | None) -> AuditContext:
        """The same context carrying an admin's reason."""
        return AuditContext(self.actor, self.request_id, self.client_ip, self.user_agent, reason)

    def without_personal_data(self) -> AuditContext:
        """The same context without address and user agent: for events served to anyone as public records
        (release events, which clients check in the ledger); the request id still leads to the logs."""
        return AuditContext(self.actor, self.request_id, None, None, self.reason)

    def as_event_data(self) -> ContextData:
        """The plain mapping stored in an event's ``context`` field (spelled out: ``asdict`` copies each
        value recursively, a noticeable share of a command's CPU for five strings)."""
        return {
            "actor": self.actor,
            "request_id": self.request_id,
            "client_ip": self.client_ip,
            "user_agent": self.user_agent,
            "reason": self.reason,
        }

    @classmethod
    def from_event_data(cls, data: ContextData) -> AuditContext:
        """Rebuilds a context from an event's ``context`` field."""
        return cls(
            actor=str(data.get("actor", "")),
            request_id=str(data.get("request_id", "")),
            client_ip=data.get("client_ip"),
            user_agent=data.get("user_agent"),
            reason=data.get("reason"),
        )
