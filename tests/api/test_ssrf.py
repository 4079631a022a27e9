"""Webhooks never call loopback, private, link-local or other non-public addresses unless the operator
allowed that network: refused at registration and again at delivery (after a fresh resolution, so a DNS
name that starts resolving to an inside address is caught), and the checked address is the one dialled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from adapters.outbound import HttpSender, OutboundGuard, parse_networks
from domain.errors import InvalidInput
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, web_session
from tests.workers.receiver import Receiver

INSIDE = [
    "http://127.0.0.1/hook",
    "http://127.9.9.9:8080/hook",
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://localhost/hook",
]


def literal_or(name_to: dict[str, list[str]]) -> object:
    """A resolver: names from ``name_to``, IP literals as themselves."""

    def resolve(host: str, _: int) -> list[str]:
        return name_to.get(host, [host.strip("[]")])

    return resolve


@pytest.mark.parametrize("url", INSIDE)
def test_inside_addresses_are_refused(url: str) -> None:
    """Each inside address (and a name resolving to one) is refused by the check."""
    guard = OutboundGuard(resolve=literal_or({"localhost": ["127.0.0.1", "::1"]}))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        guard.check(url)


def test_a_name_resolving_inside_is_refused_even_with_a_public_address_beside_it() -> None:
    """Every address a name resolves to is checked, not only the first."""
    guard = OutboundGuard(resolve=literal_or({"mixed.test": ["93.184.215.14", "10.1.2.3"]}))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        guard.check("https://mixed.test/hook")
    assert guard.check("https://93.184.215.14/hook").address == "93.184.215.14"


def test_an_allowed_network_is_let_through() -> None:
    """The operator's allowed networks (and only they) open inside addresses."""
    guard = OutboundGuard(parse_networks(["127.0.0.1/32"]), literal_or({}))  # type: ignore[arg-type]
    assert guard.check("http://127.0.0.1:9/hook").address == "127.0.0.1"
    with pytest.raises(InvalidInput):
        guard.check("http://127.0.0.2/hook")


@pytest.fixture
def api(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now) as running:
        running.create_account("boss", Role.ADMIN)
        yield running


@pytest.mark.parametrize("url", INSIDE)
def test_registration_refuses_inside_addresses(api: Api, url: str) -> None:
    """POST /admin/webhooks answers 422 for a URL that resolves inside, and writes nothing."""
    response = api.client.post(
        "/admin/webhooks", json={"url": url, "event_types": ["*"]}, headers=web_session(api, "boss")
    )
    assert response.status_code == 422, response.text
    assert "may not call" in response.json()["detail"] or "resolve" in response.json()["detail"]


def test_delivery_checks_again_after_a_fresh_resolution() -> None:
    """A name that resolved outside at registration and now resolves inside (DNS rebinding) is refused
    at delivery, before any connection."""
    answers = {"rebind.test": ["93.184.215.14"]}
    guard = OutboundGuard(resolve=literal_or(answers))  # type: ignore[arg-type]
    guard.check("http://rebind.test/hook")
    answers["rebind.test"] = ["10.0.0.7"]
    attempt = HttpSender(guard).post("http://rebind.test/hook", b"{}", {})
    assert attempt.status is None
    assert (attempt.error or "").startswith("refused")


def test_the_checked_address_is_dialled_and_redirects_are_not_followed() -> None:
    """The sender connects to the address it checked, with the name as Host; a 3xx is a failed attempt."""
    receiver = Receiver(statuses=[302])
    url = receiver.start()
    port = url.split(":")[2].split("/")[0]
    guard = OutboundGuard(parse_networks(["127.0.0.1/32"]), literal_or({"hooks.test": ["127.0.0.1"]}))  # type: ignore[arg-type]
    try:
        attempt = HttpSender(guard).post(f"http://hooks.test:{port}/hooks", b"{}", {"webhook-id": "msg_1"})
    finally:
        receiver.stop()
    assert (attempt.status, attempt.ok) == (302, False)
    assert receiver.received[0].headers["host"] == f"hooks.test:{port}"
