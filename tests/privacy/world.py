"""A ledger as the processes build it (``bootstrap``: personal fields sealed), its read models, Merkle
tree and notary in one data dir; random histories of accounts with usernames, addresses, user agents and
device nicknames; and every place their bytes could rest (files, tables, exports)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
from hypothesis import strategies as st

from adapters.ledger_db import ledger_db
from adapters.merkle_store import TreeStore
from api.ledger_log import LedgerLog
from bootstrap import keys
from bootstrap.personal_data import PersonalDataService, personal_data_service
from bootstrap.schema import create_tables, read_models
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger, build_read_store
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import SessionKind
from projections.runner import Catchup
from projections.store import ReadStore
from tests.stores import PG_DSN, pg_schema
from workers.sealer import Sealer

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
COMPONENTS = {"machine_id": "a1" * 16, "board": "b2" * 16, "cpu": "c3" * 16, "disk": "d4" * 16}
STRANGER = "192.0.2.77"
_tokens = itertools.count(1000)


@dataclass(frozen=True)
class Person:
    """One account's personal data: each string distinctive enough to grep for."""

    username: str
    address: str
    user_agent: str
    nickname: str
    logins: int
    renamed: str | None

    def secrets(self) -> list[str]:
        found = [self.username, self.address, self.user_agent, self.nickname]
        return found + ([self.renamed] if self.renamed else [])


@st.composite
def people(draw: st.DrawFn) -> list[Person]:
    """Two to four people with unique personal strings (a counter keeps them apart across examples)."""
    count = draw(st.integers(2, 4))
    made = []
    for _ in range(count):
        n = next(_tokens)
        tag = draw(st.text("abcdefghijkmnpqrstuvwxyz", min_size=4, max_size=8))
        made.append(
            Person(
                username=f"zq{tag}{n}",
                address=f"198.18.{n // 250 % 250}.{n % 250 + 1}",
                user_agent=f"AgentZq/{tag}{n}",
                nickname=f"Nick{tag}{n}",
                logins=draw(st.integers(1, 3)),
                renamed=f"Renamed{tag}{n}" if draw(st.booleans()) else None,
            )
        )
    return made


@dataclass
class World:
    settings: Settings
    ledger: Ledger
    store: ReadStore
    catchup: Catchup
    service: PersonalDataService
    tree: TreeStore
    sealer: Sealer
    log: LedgerLog
    ids: dict[str, UUID] = field(default_factory=dict)
    now: datetime = START

    def tick(self) -> datetime:
        self.now += timedelta(seconds=7)
        return self.now

    def live(self, person: Person) -> None:
        """Registers the person, binds a device, logs in from their address, maybe renames the device."""
        ctx = AuditContext("test", "req", person.address, person.user_agent)
        account = self.ledger.register(person.username, "password123", Role.USER, self.tick(), ctx).value
        self.ids[person.username] = account
        own = AuditContext(str(account), "req", person.address, person.user_agent)
        device = self.ledger.bind_device(
            account, COMPONENTS, None, person.nickname, "1.0.0", self.tick(), own
        )
        for _ in range(person.logins):
            self.ledger.open_session(account, SessionKind.DESKTOP, device.value.device_id, self.tick(), own)
        # A failed login names the account but its address is a stranger's: an address that fails logins
        # is kept under its day's key (until the retention ends), whoever was behind it.
        stranger = AuditContext("anonymous", "req", STRANGER, "curl/8")
        self.ledger.record_login_failure(account, self.tick(), stranger)
        if person.renamed:
            self.ledger.rename_device(device.value.device_id, person.renamed, self.tick(), own)

    def settle(self) -> None:
        self.catchup.catch_up()
        self.sealer.seal_all()

    def close(self) -> None:
        self.tree.close()
        self.store.close()
        self.ledger.close()


@contextmanager
def settings_for(kind: str, directory: Path) -> Iterator[Settings]:
    if kind == "sqlite":
        yield Settings(data_dir=directory)
        return
    with pg_schema() as schema:
        yield Settings(data_dir=directory, database_url=f"{PG_DSN}?schema={schema}")


def open_world(settings: Settings) -> World:
    """``db upgrade``, then the ledger, read models and sealer as the processes build them."""
    keys.generate_keys(settings.data_dir)
    create_tables(settings)
    digests = keys.digests(settings)
    ledger = build_ledger(settings, digests, keys.argon2(settings, digests))
    store = build_read_store(settings)
    catchup = read_models(settings, ledger, store)
    service = personal_data_service(ledger, store, catchup.source)
    assert service is not None
    tree, notary = TreeStore(ledger_db(ledger)), keys.notary(settings)
    sealer = Sealer(tree, notary, lambda: datetime.now(UTC))
    return World(
        settings,
        ledger,
        store,
        catchup,
        service,
        tree,
        sealer,
        LedgerLog(tree, notary.verifier_key(), ledger),
    )


def stored_bytes(settings: Settings) -> bytes:
    """Every byte at rest: the SQLite files (and their write-ahead logs), or every row of every table of
    the PostgreSQL schema as text."""
    if not settings.database_url:
        return b"".join(p.read_bytes() for p in sorted(settings.data_dir.glob("*.sqlite3*")))
    schema = settings.database_url.split("schema=")[1]
    chunks = []
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        ).fetchall()
        for (table,) in tables:
            for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():  # noqa: S608
                chunks += [bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row]
    return b"\n".join(chunks)
