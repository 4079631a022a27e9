"""``keyledger admin publish-release`` and ``keyledger keys rotate-file-master`` on both stores: files
sealed with a progress bar and published; a duplicate or missing file writes nothing; rotation re-wraps
the keys and the files still open."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from uuid import UUID

import pytest

from adapters.key_wrap import WrappedKey
from adapters.release_vault import PURPOSE
from bootstrap.cli import ledger_for_cli
from bootstrap.files import build_vault
from bootstrap.settings import Settings
from tests.cli.test_keyledger_cli import run, store  # noqa: F401 -- the store fixture

ARGS = ("admin", "publish-release", "--version", "1.2.0", "--channel", "beta", "--platform", "linux-x86_64")


@pytest.mark.usefixtures("store")
def test_publish_release_then_rotate_the_master_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two files are published as one release (its id printed, a progress bar on stderr); the same
    version again and a missing file fail with one line and publish nothing; after a rotation every
    data key is wrapped by the new master key and still unwraps."""
    assert run(capsys, monkeypatch, "db", "upgrade")[0] == 0
    app, notes = tmp_path / "app.bin", tmp_path / "notes.txt"
    app.write_bytes(os.urandom(300_000))
    notes.write_text("notes\n")
    code, out, err = run(capsys, monkeypatch, *ARGS, str(app), str(notes))
    assert (code, "sealing app.bin" in err) == (0, True)
    settings = Settings()
    ledger = ledger_for_cli(settings)
    try:
        release = ledger.release(UUID(out.strip()))
        assert [f.name for f in release.files] == ["app.bin", "notes.txt"]
        assert release.files[0].sha256 == hashlib.sha256(app.read_bytes()).hexdigest()
        assert run(capsys, monkeypatch, *ARGS, str(app))[:2] == (1, "")
        assert run(capsys, monkeypatch, *ARGS[:3], "1.3.0", *ARGS[4:], str(tmp_path / "missing"))[0] == 1
        assert (
            run(capsys, monkeypatch, "keys", "rotate-file-master")[1]
            == "re-wrapped 2 data keys under the new master key\n"
        )
        vault = build_vault(settings, ledger)
        try:
            for file in release.files:
                record = WrappedKey.decode(vault.secrets.key(str(file.file_id)) or b"")
                assert record.master_key_id == vault.master.current.key_id
                vault.master.unwrap(record, file_id=str(file.file_id), purpose=PURPOSE)
            assert sorted(vault.blobs.names()) == sorted(f.blob for f in release.files)
        finally:
            vault.secrets.close()
    finally:
        ledger.close()
