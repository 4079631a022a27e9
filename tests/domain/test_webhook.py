"""Webhook rules, pure: the retry schedule covers at least 24 hours, signatures follow the spec, event
type filters, URL shape, and secret rotation's overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook

from domain.context import AuditContext
from domain.errors import EndpointRemoved, InvalidInput
from domain.webhook import ROTATION_OVERLAP, WebhookEndpoint, check_event_types, check_url, matches
from domain.webhook_delivery import GIVE_UP_AFTER, MAX_DELAY_S, backoff, gives_up, new_secret, sign

NOW = datetime(2026, 11, 1, tzinfo=UTC)
CTX = AuditContext("test")


@given(st.lists(st.floats(min_value=-1, max_value=1), min_size=60, max_size=60))
def test_the_schedule_retries_for_at_least_a_day(spreads: list[float]) -> None:
    """Whatever the jitter, attempts go on for at least 24 hours, each wait at most an hour and a fifth."""
    elapsed, attempt = timedelta(0), 1
    while not gives_up(elapsed):
        wait = backoff(attempt, spreads[attempt % len(spreads)])
        assert timedelta(seconds=4) <= wait <= timedelta(seconds=MAX_DELAY_S * 1.2)
        elapsed += wait
        attempt += 1
    assert elapsed >= timedelta(hours=24)
    assert timedelta(hours=24) <= GIVE_UP_AFTER


def test_backoff_doubles_then_caps() -> None:
    """5 s, 10 s, 20 s ... up to an hour, without jitter."""
    assert [backoff(n, 0).total_seconds() for n in (1, 2, 3, 12, 40)] == [5, 10, 20, 3600, 3600]


@given(st.text(max_size=40).filter(lambda t: "." not in t), st.binary(max_size=200))
def test_signatures_match_the_reference_implementation(ident: str, body: bytes) -> None:
    """``sign`` equals the Standard Webhooks reference for any id and body."""
    secret = new_secret()
    text = body.decode("latin-1")
    reference = Webhook(secret).sign(f"msg_{ident}", datetime.fromtimestamp(1_700_000_000, UTC), text)
    assert sign(secret, f"msg_{ident}", 1_700_000_000, text.encode()) == reference


@pytest.mark.parametrize(
    "url", ["ftp://x.test/", "http:///nohost", "https://user:pw@x.test/", "https://x.test/a b", "x" * 3000]
)
def test_bad_urls_are_refused(url: str) -> None:
    """Only absolute http(s) URLs without credentials, spaces or control characters."""
    with pytest.raises(InvalidInput):
        check_url(url)


def test_event_type_filters() -> None:
    """Exact types, ``Aggregate.*`` and ``*`` match; anything else is refused."""
    assert matches(["License.Issued"], "License.Issued")
    assert matches(["Alert.*"], "Alert.Raised")
    assert matches(["*"], "Account.Banned")
    assert not matches(["License.*"], "Account.Banned")
    with pytest.raises(InvalidInput):
        check_event_types(["license issued"])
    with pytest.raises(InvalidInput):
        check_event_types([])


def endpoint() -> WebhookEndpoint:
    return WebhookEndpoint.register(
        endpoint_id=uuid4(),
        url="https://hooks.test/x",
        event_types=["*"],
        description="",
        sealed_secret="one",
        now=NOW,
        ctx=CTX,
    )


def test_rotation_keeps_the_old_secret_for_a_day() -> None:
    """After a rotation both secrets sign until the overlap ends, then only the new one."""
    hook = endpoint()
    hook.rotate_secret("two", NOW, CTX)
    assert hook.secrets_at(NOW + timedelta(hours=1)) == ["two", "one"]
    assert hook.secrets_at(NOW + ROTATION_OVERLAP) == ["two"]


def test_disable_enable_remove() -> None:
    """Disabling twice appends once; a removed endpoint refuses every change."""
    hook = endpoint()
    assert hook.disable(True, NOW, CTX)
    assert not hook.disable(False, NOW, CTX)
    assert hook.disabled_for_failing
    assert hook.enable(NOW, CTX)
    hook.remove(NOW, CTX)
    with pytest.raises(EndpointRemoved):
        hook.enable(NOW, CTX)
