"""The access export (Art. 15) takes its own scope and is never silent: a ``users:read`` key is refused
(403 problem+json), and every export — by a ``personal-data:read`` key, an admin's web session or the CLI,
of a live or an erased account — is an ``Account.PersonalDataExported`` event naming its actor, shown with
its translated label in the audit page and the account's history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.machine_auth import KEY_ACTOR_PREFIX
from bootstrap.cli import ledger_for_cli, main
from bootstrap.settings import Settings
from domain.account import Account
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.personal import ERASED
from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, web_session
from tests.privacy.test_erase_http import AGENT, NICK, VICTIM, cli_user, erase, victim

EXPORTED = "Account.PersonalDataExported"
KOREAN_LABEL = "개인정보 내보냄"


@pytest.fixture
def api(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now) as made:
        yield made


def key_headers(api: Api, *scopes: str) -> tuple[str, dict[str, str]]:
    """A new API key with ``scopes``: its actor and the headers that present it."""
    made = api.ledger.create_api_key("dsar", list(scopes), None, api.clock(), AuditContext("test")).value
    return f"{KEY_ACTOR_PREFIX}{made.key_id}", {"Authorization": f"Bearer {made.token}"}


def exports_of(ledger: Ledger, account: str) -> list[Account.PersonalDataExported]:
    """The export events recorded on the account, oldest first."""
    events = ledger.repository.event_store.get(UUID(account))
    return [e for e in events if isinstance(e, Account.PersonalDataExported)]


def export(api: Api, account: str, headers: dict[str, str]) -> Any:
    return api.client.get(f"/admin/users/{account}/personal-data", headers=headers)


def test_a_users_read_key_is_refused_and_nothing_is_recorded(api: Api) -> None:
    """``users:read`` lists users but does not export one: 403 ``insufficient_scope`` as problem+json."""
    account = victim(api)
    _, reader = key_headers(api, "users:read")
    refused = export(api, account, reader)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "insufficient_scope"
    assert "personal-data:read" in refused.json()["detail"]
    assert VICTIM not in refused.text
    assert export(api, account, key_headers(api, "audit:read", "users:write")[1]).status_code == 403
    assert exports_of(api.ledger, account) == []


def test_a_personal_data_key_exports_and_is_the_events_actor(api: Api) -> None:
    """A key with ``personal-data:read`` gets the data; the export is recorded first, with the key as actor
    and the number of events it returned; the audit API finds it by type."""
    account = victim(api)
    actor, holder = key_headers(api, "personal-data:read")
    answer = export(api, account, holder)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {VICTIM, AGENT, NICK} <= {v for e in body["events"] for v in e["fields"].values()}
    [event] = exports_of(api.ledger, account)
    assert (event.context["actor"], event.event_count) == (actor, len(body["events"]))
    assert VICTIM not in str(vars(event))
    _, auditor = key_headers(api, "audit:read")
    found = api.client.get(
        "/audit/events", params={"event_type": EXPORTED, "position": body["position"]}, headers=auditor
    ).json()["events"]
    assert [(e["aggregate_id"], e["context"]["actor"]) for e in found] == [(account, actor)]


def test_an_admin_export_shows_in_the_audit_page_and_the_history(api: Api) -> None:
    """An admin's web session keeps access; its export is an event shown with its Korean label in the
    audit page and in the account's history, with the admin as actor."""
    admin_id = api.create_account("root", Role.ADMIN)
    admin = web_session(api, "root")
    account = victim(api)
    answer = export(api, account, admin)
    assert answer.status_code == 200, answer.text
    [event] = exports_of(api.ledger, account)
    assert event.context["actor"] == admin_id
    position = answer.json()["position"]
    feed = api.client.get(
        "/audit/events", params={"event_type": EXPORTED, "position": position}, headers=admin
    )
    assert [e["context"]["actor"] for e in feed.json()["events"]] == [admin_id]
    audit = api.client.get("/ui/audit", params={"event_type": EXPORTED}, headers=admin)
    assert f"<td>{KOREAN_LABEL}</td>" in audit.text
    history = api.client.get(f"/ui/users/{account}", headers=admin)
    assert f"<strong>{KOREAN_LABEL}</strong>" in history.text
    english = api.client.get(
        f"/ui/users/{account}", headers={**admin, "Cookie": f"{admin['Cookie']}; keyledger_lang=en"}
    )
    assert "<strong>Personal data exported</strong>" in english.text


def test_an_erased_account_is_exported_as_erased_and_recorded(api: Api) -> None:
    """After an erasure the export still answers — erased, every value ``[erased]`` — and is recorded; the
    admin's own address in that event stays readable (it is the admin's, not the erased person's)."""
    api.create_account("root", Role.ADMIN)
    admin = web_session(api, "root")
    account = victim(api)
    assert erase(api, account, admin).status_code == 200
    answer = export(api, account, admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["erased"] is True
    assert body["events"]
    assert {v for e in body["events"] for v in e["fields"].values()} == {ERASED}
    [event] = exports_of(api.ledger, account)
    assert event.event_count == len(body["events"])
    assert event.context["client_ip"] not in (None, ERASED)


def test_the_cli_export_is_recorded_with_the_command_line_as_actor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`keyledger admin export-subject` prints the export and records it, actor ``cli:<user>``; the CLI
    makes keys with the export's scope."""
    account = cli_user(tmp_path, monkeypatch, capsys)
    assert main(["admin", "export-subject", account]) == 0
    assert VICTIM in capsys.readouterr().out
    ledger = ledger_for_cli(Settings())
    try:
        [event] = exports_of(ledger, account)
    finally:
        ledger.close()
    assert str(event.context["actor"]).startswith("cli:")
    assert event.event_count == 1
    assert main(["admin", "create-api-key", "--name", "dsar", "--scope", "personal-data:read"]) == 0
    assert capsys.readouterr().out.startswith("kl_live_")
