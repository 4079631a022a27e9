"""``keyledger db upgrade`` (tree tables, append-only triggers), ``keys generate`` (the checkpoint key)
and ``keyledger ledger verify`` on the live store, on the embedded default and on PostgreSQL."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.checkpoint_key import CHECKPOINT_KEY_FILE
from adapters.ledger_db import ledger_db
from adapters.merkle_store import TreeStore
from bootstrap.cli import ledger_for_cli, main
from bootstrap.keys import notary as load_notary
from bootstrap.settings import Settings
from bootstrap.workers import WORKER_NAMES
from tests.ledger_proofs.sealing import populate
from tests.stores import environment_store
from workers.sealer import Sealer


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings through the environment: a data dir, and for PostgreSQL a fresh schema."""
    monkeypatch.setenv("KEYLEDGER_LEDGER_ORIGIN", "cli.test.example/log")
    with environment_store(request.param, tmp_path / "data", monkeypatch):
        yield Settings()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def seal(settings: Settings) -> None:
    """Some events, sealed with the data dir's checkpoint key."""
    ledger = ledger_for_cli(settings)
    populate(ledger, 2)
    tree = TreeStore(ledger_db(ledger))
    Sealer(tree, load_notary(settings), lambda: datetime.now(UTC)).seal_all()
    tree.close()
    ledger.close()


def test_keys_generate_writes_the_checkpoint_key(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The checkpoint key is generated once, readable by its owner only."""
    code, out, _ = run(capsys, "keys", "generate")
    path = settings.data_dir / CHECKPOINT_KEY_FILE
    assert code == 0
    assert str(path) in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_ledger_verify_passes_then_catches_a_tampered_event(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the upgrade the event table refuses UPDATE; with the guard dropped, an event rewritten in
    place is caught by ``keyledger ledger verify`` (exit 5)."""
    assert run(capsys, "db", "upgrade")[0] == 0
    seal(settings)
    code, out, _ = run(capsys, "ledger", "verify")
    assert code == 0
    assert out.startswith("verified: 8 leaves")
    assert "0 events not yet sealed" in out
    db = ledger_db(ledger := ledger_for_cli(settings))
    tamper = f"UPDATE {db.events_table} SET state = ? WHERE {db.id_column} = 3"  # noqa: S608 -- table names are constants
    with pytest.raises(Exception, match="append-only"), db.write() as tx:
        tx.execute(tamper, [b'{"forged":true}'])
    with db.write() as tx:
        if db.dialect == "postgres":
            tx.execute(f"ALTER TABLE {db.events_table} DISABLE TRIGGER {db.events_table}_append_only")
        else:
            tx.execute(f"DROP TRIGGER {db.events_table}_no_update")
        tx.execute(tamper, [b'{"forged":true}'])
    db.close()
    ledger.close()
    code, _, err = run(capsys, "ledger", "verify")
    assert code == 5
    assert "mismatch at leaf 2" in err


def test_the_sealer_is_a_worker(settings: Settings) -> None:
    """``keyledger worker sealer`` exists and ``worker all`` runs it."""
    assert "sealer" in WORKER_NAMES
    assert settings.ledger_origin == "cli.test.example/log"


@pytest.mark.usefixtures("settings")
def test_a_signer_key_from_settings_must_carry_the_origin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """KEYLEDGER_CHECKPOINT_SIGNER_KEY is used when set; named for another origin it is refused."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    from adapters.notary import signer_key_text  # noqa: PLC0415 -- only this test builds signer keys

    private = Ed25519PrivateKey.generate()
    monkeypatch.setenv("KEYLEDGER_CHECKPOINT_SIGNER_KEY", signer_key_text("cli.test.example/log", private))
    assert load_notary(Settings()).verifier_key_text().startswith("cli.test.example/log+")
    monkeypatch.setenv("KEYLEDGER_CHECKPOINT_SIGNER_KEY", signer_key_text("other.example/log", private))
    assert run(capsys, "ledger", "verify")[0] == 1


def test_ledger_verify_names_a_deleted_event(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """With the guard dropped and a sealed event deleted, `ledger verify` exits 5 naming the leaf and the
    event that was deleted — not its neighbour (the leaves are paired by index, not by position)."""
    assert run(capsys, "db", "upgrade")[0] == 0
    seal(settings)
    db = ledger_db(ledger := ledger_for_cli(settings))
    with db.write() as tx:
        if db.dialect == "postgres":
            tx.execute(f"ALTER TABLE {db.events_table} DISABLE TRIGGER {db.events_table}_append_only")
        else:
            tx.execute(f"DROP TRIGGER {db.events_table}_no_delete")
        tx.execute(f"DELETE FROM {db.events_table} WHERE {db.id_column} = 3")  # noqa: S608 -- constant names
    db.close()
    ledger.close()
    code, _, err = run(capsys, "ledger", "verify")
    assert code == 5
    assert "mismatch at leaf 2: event 3 was deleted after sealing" in err
