"""Commands on cached aggregates (``domain.ledger.base``, ``adapters.group_commit``): on PostgreSQL a
command takes an aggregate from this process's cache without asking the store for newer events, and its
commit checks, under the table lock, that nothing was stored since; so another process's change is seen
exactly as if every read had gone to the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from domain.context import AuditContext
from domain.errors import AccountBanned
from domain.ledger.service import Ledger
from domain.session import SessionKind
from tests.ledger.scenarios import appended, fingerprint, head, registered
from tests.stores import make_ledger, pg_env, pg_schema, sqlite_env


@pytest.fixture
def two_processes() -> Iterator[tuple[Ledger, Ledger]]:
    """Two ledgers on one PostgreSQL schema, each with its own cache, as two API processes have."""
    with pg_schema() as schema:
        here = make_ledger(pg_env(schema), seed=1)
        there = make_ledger(pg_env(schema, create_table=False), seed=2)
        try:
            yield here, there
        finally:
            here.close()
            there.close()


@pytest.mark.postgres
def test_a_ban_in_another_process_stops_a_rebind_here(
    two_processes: tuple[Ledger, Ledger], now: datetime, ctx: AuditContext
) -> None:
    """Recognising a known device only reads the account; when another process banned it after this one
    cached it, the commit conflicts and the command, run again on fresh state, refuses."""
    here, there = two_processes
    account = registered(here, now, ctx)
    here.bind_device(account, fingerprint(1), None, "desk", "1.0", now, ctx)
    there.ban(account, None, now, ctx)
    before = head(here)
    with pytest.raises(AccountBanned):
        here.bind_device(account, fingerprint(1), None, "desk", "1.0", now, ctx)
    assert appended(here, before) == [], "nothing was recorded for the banned account"


@pytest.mark.postgres
def test_an_unban_in_another_process_lets_a_login_here_through(
    two_processes: tuple[Ledger, Ledger], now: datetime, ctx: AuditContext
) -> None:
    """A command that fails on cached state (a ban this process saw) is decided again on fresh state
    before it answers: the unban another process made since lets the login through."""
    here, there = two_processes
    account = registered(here, now, ctx)
    device = here.bind_device(account, fingerprint(1), None, "desk", "1.0", now, ctx).value.device_id
    here.ban(account, None, now, ctx)
    there.unban(account, now, ctx)
    opened = here.open_session(account, SessionKind.DESKTOP, device, now, ctx)
    assert opened.position is not None


def test_sqlite_commands_read_through_to_the_store(tmp_path: Path) -> None:
    """The embedded store cannot check reads as it commits, so commands there never skip the read."""
    ledger = make_ledger(sqlite_env(tmp_path))
    try:
        assert not ledger.checks_reads
    finally:
        ledger.close()
