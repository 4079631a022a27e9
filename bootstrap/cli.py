"""The ``keyledger`` command: one composition root per process. Bad input prints one line on stderr and
exits non-zero, writing nothing."""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from adapters.keyfiles import KeyFileError
from adapters.personal_keys import PersonalKeyError
from adapters.read_store import SqliteReadStore
from adapters.signing_key import NEXT_SIGNING_KEY_FILE, generate_next_signing_key, promote_next_signing_key
from api.logs import configure_logging
from api.problems import ApiError
from api.services import utc_now
from bootstrap import keys
from bootstrap.ledger_verify import ledger_verify
from bootstrap.privacy_cli import add_commands as add_privacy_commands
from bootstrap.release_cli import add_commands as add_release_commands
from bootstrap.schema import NotUpgraded, create_tables, read_models
from bootstrap.settings import Settings
from bootstrap.stores import (
    SettingsError,
    build_ledger,
    build_presence,
    build_read_store,
    build_tree,
    watch_changes,
)
from bootstrap.workers import WORKER_NAMES, build_background
from domain.api_key import Scope
from domain.context import AuditContext
from domain.errors import DomainError
from domain.ledger.service import Ledger
from domain.roles import parse_role, parse_tier
from projections import catalogue
from projections.rebuild import differences, reset
from projections.runner import Catchup
from projections.store import ReadStore

Command = Callable[[argparse.Namespace, Settings], int]


def cli_context() -> AuditContext:
    return AuditContext(
        actor=f"cli:{getpass.getuser()}", request_id=uuid.uuid4().hex, user_agent="keyledger-cli"
    )


def db_upgrade(_: argparse.Namespace, settings: Settings) -> int:
    """Creates the event tables and the Merkle tree tables, and makes all of them append-only."""
    create_tables(settings)
    print("database is up to date")
    return 0


def ledger_for_cli(settings: Settings) -> Ledger:
    digests = keys.digests(settings)
    ledger = build_ledger(settings, digests, keys.argon2(settings, digests))
    watch_changes(settings, ledger)  # bans and expiries from here reach the API processes' copies
    return ledger


def keys_generate(_: argparse.Namespace, settings: Settings) -> int:
    written = keys.generate_keys(settings.data_dir)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"keys already exist in {settings.data_dir}")
    return 0


def keys_next(_: argparse.Namespace, settings: Settings) -> int:
    """Creates the next lease-signing key: published in the signed key set, signing nothing yet."""
    if not generate_next_signing_key(settings.data_dir):
        print(f"a next signing key is already waiting in {settings.data_dir}")
        return 0
    print(f"wrote {settings.data_dir / NEXT_SIGNING_KEY_FILE}; restart the API processes to publish it")
    return 0


def keys_rotate(_: argparse.Namespace, settings: Settings) -> int:
    """Signs with the next key from now on; the current key is kept as the previous one."""
    promote_next_signing_key(settings.data_dir)
    print(f"the next signing key is now the current one; restart the API processes ({settings.data_dir})")
    return 0


def create_user(args: argparse.Namespace, settings: Settings) -> int:
    if not args.password_stdin:
        raise DomainError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\n")
    role = parse_role(args.role)
    ledger = ledger_for_cli(settings)
    try:
        written = ledger.register(args.username, password, role, datetime.now(UTC), cli_context())
    finally:
        ledger.close()
    print(written.value)
    return 0


def issue_licenses(args: argparse.Namespace, settings: Settings) -> int:
    tier = parse_tier(args.tier)
    ledger = ledger_for_cli(settings)
    try:
        written = ledger.issue_licenses(
            args.count,
            args.days,
            tier,
            args.max_devices,
            args.note,
            datetime.now(UTC),
            cli_context(),
        )
    finally:
        ledger.close()
    for issued in written.value:
        print(issued.key)
    return 0


def create_api_key(args: argparse.Namespace, settings: Settings) -> int:
    """Creates an API key for a machine; prints its token (shown this once) on stdout."""
    expires = datetime.fromisoformat(args.expires_at) if args.expires_at else None
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    ledger = ledger_for_cli(settings)
    try:
        written = ledger.create_api_key(args.name, args.scope, expires, datetime.now(UTC), cli_context())
    finally:
        ledger.close()
    print(written.value.token)
    return 0


def with_ledger(command: Callable[[argparse.Namespace, Settings, Ledger, AuditContext], int]) -> Command:
    """``command`` given the ledger (closed afterwards) and the CLI's audit context."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        ledger = ledger_for_cli(settings)
        try:
            return command(args, settings, ledger, cli_context())
        finally:
            ledger.close()

    return run


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Runs the API with uvicorn. On the embedded default (SQLite) it creates the tables and keys first."""
    import uvicorn  # noqa: PLC0415 -- only the serve command needs the server

    from bootstrap.app import create_app  # noqa: PLC0415 -- keeps the other commands free of FastAPI start-up
    from bootstrap.serve import server_config  # noqa: PLC0415 -- likewise

    keys.generate_keys(settings.data_dir)
    if not settings.database_url:
        create_tables(settings)
    configure_logging()
    app = create_app(settings)
    where = (settings.database_url and "PostgreSQL") or f"SQLite in {settings.data_dir.resolve()}"
    print(f"keyledger listening on http://{args.host}:{args.port} (store: {where})", flush=True)
    uvicorn.Server(server_config(app, args.host, args.port)).run()
    return 0


def _catchup(settings: Settings) -> tuple[Ledger, Catchup, ReadStore]:
    ledger, read_store = ledger_for_cli(settings), build_read_store(settings)
    return ledger, read_models(settings, ledger, read_store), read_store


def worker(args: argparse.Namespace, settings: Settings) -> int:
    """Runs workers in the foreground until SIGTERM or SIGINT, then stops them cleanly."""
    ledger, catchup, store = _catchup(settings)
    names = WORKER_NAMES if args.name == "all" else (args.name,)
    if args.name == "relay" and not settings.nats_url:
        raise SettingsError("the relay needs KEYLEDGER_NATS_URL")
    skipped = [name for name in names if name == "relay" and not settings.nats_url]
    for name in skipped:
        print(f"keyledger worker {args.name}: skipping {name} (set KEYLEDGER_NATS_URL to run it)", flush=True)
    tree = build_tree(ledger)
    notary = keys.notary(settings)
    presence = build_presence(settings)
    workers = build_background(settings, ledger, catchup, presence, utc_now, names, tree=tree, notary=notary)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    for running in workers:
        running.start()
    configure_logging()
    print(f"keyledger worker {args.name}: running {', '.join(w.name for w in workers)}", flush=True)
    stopping.wait()
    for running in reversed(workers):
        running.stop()
    tree.close()
    store.close()
    print(f"keyledger worker {args.name}: stopped", flush=True)
    return 0


def projections_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    """Replays every event into fresh tables; with --verify compares them with the live ones instead."""
    _, catchup, store = _catchup(settings)
    if args.verify:
        with tempfile.TemporaryDirectory() as scratch:
            fresh = SqliteReadStore(Path(scratch) / "rebuild.sqlite3")
            found = differences(store, fresh, catalogue.ALL, catchup.source)
            fresh.close()
        for line in found:
            print(f"keyledger: {line}", file=sys.stderr)
        print("read models match a rebuild" if not found else f"{len(found)} tables differ from a rebuild")
        return 0 if not found else 1
    reset(store, catalogue.ALL)
    catchup.create_tables()
    print(f"rebuilt the read models from {catchup.catch_up()} events")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="keyledger", description="Keyledger licensing ledger")
    groups = root.add_subparsers(dest="group", required=True)
    db = groups.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser(
        "upgrade", help="create the event tables (once, before other processes start)"
    ).set_defaults(run=db_upgrade)
    keys = groups.add_parser("keys", help="secrets in the data dir").add_subparsers(
        dest="action", required=True
    )
    keys.add_parser("generate", help="create missing keys (0600)").set_defaults(run=keys_generate)
    keys.add_parser("next", help="create the next lease-signing key (published, not used)").set_defaults(
        run=keys_next
    )
    keys.add_parser("rotate", help="sign with the next key; keep the current one as previous").set_defaults(
        run=keys_rotate
    )
    admin = groups.add_parser("admin", help="administration").add_subparsers(dest="action", required=True)
    user = admin.add_parser("create-user", help="register an account; prints its id")
    user.add_argument("username")
    user.add_argument("--role", default="user", help="user, vip or admin")
    user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    user.set_defaults(run=create_user)
    issue = admin.add_parser("issue-licenses", help="issue license keys; prints one key per line")
    issue.add_argument("--count", type=int, required=True)
    issue.add_argument("--days", type=int, required=True)
    issue.add_argument("--max-devices", type=int, required=True)
    issue.add_argument("--tier", default="user", help="user or vip")
    issue.add_argument("--note", default="")
    issue.set_defaults(run=issue_licenses)
    key = admin.add_parser("create-api-key", help="create an API key; prints its token (shown once)")
    key.add_argument("--name", required=True)
    scopes = ", ".join(Scope)  # personal-data:read (the access export) is apart from users:read
    key.add_argument("--scope", action="append", required=True, help=f"repeatable; one of: {scopes}")
    key.add_argument("--expires-at", default=None, help="ISO 8601 time (UTC if no offset); default never")
    key.set_defaults(run=create_api_key)
    add_release_commands(admin, keys, with_ledger)
    add_privacy_commands(admin, with_ledger)
    work = groups.add_parser("worker", help="run a worker process")
    work.add_argument("name", choices=[*WORKER_NAMES, "all"])
    work.set_defaults(run=worker)
    proj = groups.add_parser("projections", help="read models").add_subparsers(dest="action", required=True)
    rebuild = proj.add_parser("rebuild", help="replay every event into fresh read-model tables")
    rebuild.add_argument("--verify", action="store_true", help="compare a rebuild with the live tables")
    rebuild.set_defaults(run=projections_rebuild)
    ledger = groups.add_parser("ledger", help="the verifiable ledger").add_subparsers(
        dest="action", required=True
    )
    ledger.add_parser(
        "verify", help="verify the live store against its latest signed checkpoint"
    ).set_defaults(run=ledger_verify)
    run = groups.add_parser("serve", help="run the HTTP API")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.set_defaults(run=serve)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        command: Command = args.run
        return command(args, Settings())
    except (
        DomainError,
        SettingsError,
        KeyFileError,
        PersonalKeyError,
        NotUpgraded,
        ApiError,
        OSError,
    ) as error:
        print(f"keyledger: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
