"""Erasure and the access export over HTTP, on the admin page and from the CLI: a typed confirmation,
clear errors for bad input (422 problem+json, 404, 403), and nothing of the person left to read."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bootstrap.cli import main
from domain.context import AuditContext
from domain.personal import ERASED
from domain.roles import Role
from projections import session_clients
from tests.api.embedded import sqlite_api
from tests.api.harness import COMPONENTS, PASSWORD, Api, services_of, web_session

VICTIM, AGENT, NICK = "victim_zq7", "VictimAgent/7.7", "Victim laptop zq7"


@pytest.fixture
def api(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now) as made:
        yield made


def client_login(api: Api, user_agent: str, **extra: str) -> Any:
    """The victim's desktop client logs in with ``user_agent``; returns the login's answer."""
    body = {
        "username": VICTIM,
        "password": PASSWORD,
        "fingerprint": {"components": COMPONENTS},
        "client_version": "1.0.0",
        **extra,
    }
    login = api.client.post("/auth/client/login", json=body, headers={"User-Agent": user_agent})
    assert login.status_code == 200, login.text
    return login.json()


def victim(api: Api) -> str:
    """An account whose desktop client logged in with its own user agent and device name."""
    account = api.create_account(VICTIM)
    client_login(api, AGENT, nickname=NICK)
    return account


def erase(api: Api, account: str, headers: dict[str, str], **body: Any) -> Any:
    sent = {"reason": "art. 17 request", "confirm_username": VICTIM} | body
    return api.client.post(f"/admin/users/{account}/erase", json=sent, headers=headers)


def test_erasure_over_http(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """Bad confirmation 422, unknown id 404, a key without users:write 403 (and, without
    personal-data:read, 403 on the export); then the erasure, after which
    no page, list, export or log shows the person, and the account cannot log in."""
    caplog.set_level(logging.DEBUG)
    api.create_account("root", Role.ADMIN)
    admin = web_session(api, "root")
    account = victim(api)
    token = api.ledger.create_api_key(
        "reader", ["users:read"], None, api.clock(), AuditContext("test")
    ).value.token
    reader = {"Authorization": f"Bearer {token}"}

    wrong = erase(api, account, admin, confirm_username="victim")
    assert wrong.status_code == 422
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert wrong.json()["code"] == "invalid_input"
    assert erase(api, "00000000-0000-4000-8000-000000000000", admin).status_code == 404
    assert erase(api, account, reader).status_code == 403
    assert api.client.get(f"/admin/users/{account}/personal-data", headers=reader).status_code == 403
    exported = api.client.get(f"/admin/users/{account}/personal-data", headers=admin)
    assert exported.status_code == 200
    assert VICTIM in exported.text
    assert AGENT in exported.text
    assert NICK in exported.text

    assert erase(api, account, admin).status_code == 200
    assert api.client.get(f"/admin/users/{account}", headers=admin).json()["username"] == ERASED
    login = api.client.post("/auth/login", json={"username": VICTIM, "password": PASSWORD})
    assert login.status_code in (401, 403)
    pages = [f"/ui/users/{account}", "/ui/users", "/ui/devices", "/ui/audit", "/ui/sessions", "/ui/"]
    reads = [
        f"/admin/users/{account}/personal-data",
        "/admin/users",
        "/admin/devices",
        "/audit/events",
        f"/audit/aggregates/{account}/history",
        "/dashboard/activity",
    ]
    for path in pages + reads:
        shown = api.client.get(path, headers=admin)
        assert shown.status_code == 200, path
        for secret in (VICTIM, AGENT, NICK):
            assert secret not in shown.text, (path, secret)
    for secret in (VICTIM, AGENT, NICK):
        assert secret not in caplog.text
    assert erase(api, account, admin).status_code == 200  # a retry finds the account erased


def test_the_admin_page_asks_for_the_username(api: Api) -> None:
    """The page's erase form refuses a wrong username and erases with the right one."""
    api.create_account("root", Role.ADMIN)
    admin = web_session(api, "root")
    account = victim(api)
    form = {"csrf_token": admin["X-CSRF-Token"], "erase_reason": "asked by email"}
    path = f"/ui/users/{account}/erase"
    headers = {"Cookie": admin["Cookie"]}
    refused = api.client.post(path, data=form | {"confirm_username": "nope"}, headers=headers)
    assert refused.status_code == 200
    assert api.ledger.account(api.ledger.account_id_for(VICTIM) or account).erased is False  # type: ignore[arg-type]
    done = api.client.post(
        path, data=form | {"confirm_username": VICTIM}, headers=headers, follow_redirects=False
    )
    assert done.status_code == 303
    page = api.client.get(f"/ui/users/{account}", headers=headers)
    assert VICTIM not in page.text
    assert ERASED in page.text


def cli_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """The embedded store in ``tmp_path``, upgraded through the CLI, with the user VICTIM made by it; the
    new account's id."""
    monkeypatch.setenv("KEYLEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KEYLEDGER_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    monkeypatch.setattr("sys.stdin", _Lines("a long password\n"))
    assert main(["admin", "create-user", VICTIM, "--password-stdin"]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_erase_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`keyledger admin erase-account`: one-line errors for a bad or unknown id; then the erasure, which
    the access export shows."""
    account = cli_user(tmp_path, monkeypatch, capsys)
    assert main(["admin", "erase-account", "not-an-id", "--reason", "x"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["admin", "erase-account", "00000000-0000-4000-8000-000000000000", "--reason", "x"]) == 1
    assert "not found" in capsys.readouterr().err
    assert main(["admin", "erase-account", account, "--reason", "  "]) == 1
    capsys.readouterr()
    assert main(["admin", "erase-account", account, "--reason", "ticket 42"]) == 0
    capsys.readouterr()
    assert main(["admin", "export-subject", account]) == 0
    shown = capsys.readouterr().out
    assert VICTIM not in shown
    assert '"erased": true' in shown
    assert main(["projections", "rebuild", "--verify"]) == 0
    assert main(["admin", "sweep-personal-data"]) == 0


class _Lines:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)

    def readline(self) -> str:
        return self.lines.pop(0) if self.lines else ""


def test_erasure_forgets_the_browser_parsed_from_the_user_agent(api: Api) -> None:
    """The session list's browser and system, parsed from a user agent, are gone after the erasure (the
    in-place rebuild reads "[erased]", which names no browser)."""
    api.create_account("root", Role.ADMIN)
    admin = web_session(api, "root")
    account = api.create_account(VICTIM)
    chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36"
    session = client_login(api, chrome)["session_id"]
    reads = services_of(api).reads

    def parsed() -> tuple[str, str] | None:
        return reads.query(None, lambda tx: session_clients.of_sessions(tx, [session])).get(session)

    for _ in range(100):  # the in-process projection worker catches up within a few polls
        if parsed() is not None:
            break
        time.sleep(0.05)
    assert parsed() == ("Chrome 120", "Windows")
    assert erase(api, account, admin).status_code == 200
    assert parsed() in (None, ("", ""))
