"""The audit context every event carries, and the error tree's stable codes."""

from __future__ import annotations

import inspect
from dataclasses import asdict

from domain import errors
from domain.context import AuditContext
from tests.domain.aggregate_case import CTX


def test_context_round_trips_through_event_data() -> None:
    """What an event stores rebuilds the same context."""
    assert AuditContext.from_event_data(CTX.as_event_data()) == CTX


def test_context_event_data_is_plain() -> None:
    """The stored form is a plain mapping of five fields."""
    assert CTX.as_event_data() == {
        "actor": "admin:test",
        "request_id": "req-1",
        "client_ip": "203.0.113.9",
        "user_agent": "pytest",
        "reason": "testing",
    }


def test_context_event_data_names_every_field() -> None:
    """The spelled-out mapping is ``asdict``'s: a field added to the context is stored too."""
    assert CTX.as_event_data() == asdict(CTX)


def test_system_context_names_the_worker() -> None:
    """A worker acts as system:<worker>, with no client."""
    ctx = AuditContext.system("policies", reason="too many failures")
    assert (ctx.actor, ctx.client_ip, ctx.reason) == ("system:policies", None, "too many failures")


def test_with_reason_keeps_everything_else() -> None:
    """Adding a reason changes only the reason."""
    assert CTX.with_reason("abuse") == AuditContext(
        CTX.actor, CTX.request_id, CTX.client_ip, CTX.user_agent, "abuse"
    )


def test_from_event_data_tolerates_missing_fields() -> None:
    """An older event without some fields still gives a context."""
    assert AuditContext.from_event_data({"actor": "a"}) == AuditContext("a")


def test_every_error_has_its_own_code_and_is_in_the_tree() -> None:
    """Each domain error has a distinct stable code and appears in the module's drawn tree."""
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.DomainError)]
    codes = [c.code for c in classes]
    assert len(set(codes)) == len(codes)
    assert all(c.__name__ in (errors.__doc__ or "") for c in classes)
