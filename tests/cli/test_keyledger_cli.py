"""The ``keyledger`` command on the embedded default and on PostgreSQL."""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bootstrap.cli import ledger_for_cli, main
from bootstrap.settings import Settings
from domain import license_keys
from domain.context import AuditContext
from tests.stores import environment_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A data dir (and, for PostgreSQL, a fresh schema) configured through the environment."""
    monkeypatch.setenv("KEYLEDGER_ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("KEYLEDGER_ARGON2_TIME_COST", "1")
    with environment_store(request.param, tmp_path / "data", monkeypatch):
        yield request.param


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def last_position() -> int:
    ledger = ledger_for_cli(Settings())
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


@pytest.mark.usefixtures("store")
def test_upgrade_create_user_and_issue(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """db upgrade, create-user (prints the id) and issue-licenses (one valid key per line) work end to end."""
    assert run(capsys, monkeypatch, "db", "upgrade")[0] == 0
    code, out, _ = run(
        capsys,
        monkeypatch,
        "admin",
        "create-user",
        "alice",
        "--role",
        "admin",
        "--password-stdin",
        stdin="correct horse\n",
    )
    assert code == 0
    assert len(out.strip()) == 36
    code, out, _ = run(
        capsys,
        monkeypatch,
        "admin",
        "issue-licenses",
        "--count",
        "3",
        "--days",
        "30",
        "--max-devices",
        "2",
        "--tier",
        "vip",
        "--note",
        "launch",
    )
    keys = out.split()
    assert code == 0
    assert len(keys) == 3
    assert all(license_keys.canonical(k) for k in keys)


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (("admin", "create-user", "al", "--password-stdin"), "correct horse\n", "username"),
        (("admin", "create-user", "bad-name!", "--password-stdin"), "correct horse\n", "username"),
        (("admin", "create-user", "alice", "--password-stdin"), "short\n", "password"),
        (("admin", "create-user", "alice", "--role", "root", "--password-stdin"), "correct horse\n", "role"),
        (("admin", "create-user", "alice"), "", "password-stdin"),
        (("admin", "issue-licenses", "--count", "0", "--days", "3", "--max-devices", "1"), "", "count"),
        (("admin", "issue-licenses", "--count", "1001", "--days", "3", "--max-devices", "1"), "", "count"),
        (("admin", "issue-licenses", "--count", "1", "--days", "0", "--max-devices", "1"), "", "days"),
        (
            ("admin", "issue-licenses", "--count", "1", "--days", "3", "--max-devices", "0"),
            "",
            "device_limit",
        ),
        (
            (
                "admin",
                "issue-licenses",
                "--count",
                "1",
                "--days",
                "3",
                "--max-devices",
                "1",
                "--tier",
                "admin",
            ),
            "",
            "tier",
        ),
    ],
)
@pytest.mark.usefixtures("store")
def test_bad_input_is_one_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
    stdin: str,
    message: str,
) -> None:
    """Bad input prints one line on stderr, exits non-zero and appends no event."""
    run(capsys, monkeypatch, "db", "upgrade")
    before = last_position()
    code, out, err = run(capsys, monkeypatch, *argv, stdin=stdin)
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert last_position() == before


@pytest.mark.usefixtures("store")
def test_duplicate_username_case_insensitive(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A username differing only in case is refused, with nothing written."""
    run(capsys, monkeypatch, "db", "upgrade")
    assert (
        run(
            capsys, monkeypatch, "admin", "create-user", "Alice", "--password-stdin", stdin="correct horse\n"
        )[0]
        == 0
    )
    before = last_position()
    code, _, err = run(
        capsys, monkeypatch, "admin", "create-user", "aLICE", "--password-stdin", stdin="correct horse\n"
    )
    assert code == 1
    assert "taken" in err
    assert last_position() == before


def test_keys_generate_is_owner_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """keys generate writes the index key with 0600 permissions and never overwrites it."""
    monkeypatch.setenv("KEYLEDGER_DATA_DIR", str(tmp_path / "d"))
    code, out, _ = run(capsys, monkeypatch, "keys", "generate")
    key = tmp_path / "d" / "index.key"
    assert code == 0
    assert str(key) in out
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    content = key.read_bytes()
    run(capsys, monkeypatch, "keys", "generate")
    assert key.read_bytes() == content


def test_bad_database_url_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unusable database URL is reported in one line, not a traceback."""
    monkeypatch.setenv("KEYLEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KEYLEDGER_DATABASE_URL", "mysql://nope/db")
    code, _, err = run(capsys, monkeypatch, "db", "upgrade")
    assert code == 1
    assert err.startswith("keyledger: KEYLEDGER_DATABASE_URL")


@pytest.mark.usefixtures("store")
def test_create_api_key_prints_a_token_that_opens_its_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """create-api-key prints a kl_live_ token (shown once) whose key has the scopes asked for; an unknown
    scope is one line on stderr and writes nothing."""
    assert run(capsys, monkeypatch, "db", "upgrade")[0] == 0
    code, out, _ = run(
        capsys, monkeypatch, "admin", "create-api-key", "--name", "shop", "--scope", "licenses:write"
    )
    assert code == 0
    token = out.strip()
    assert token.startswith("kl_live_")
    ledger = ledger_for_cli(Settings())
    try:
        key = ledger.api_key_for_token(token, datetime.now(UTC), AuditContext("test"))
        assert [s.value for s in key.scopes] == ["licenses:write"]
    finally:
        ledger.close()
    before = last_position()
    code, _, err = run(capsys, monkeypatch, "admin", "create-api-key", "--name", "x", "--scope", "root")
    assert (code, err.count("\n")) == (1, 1)
    assert last_position() == before
