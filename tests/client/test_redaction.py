"""Redaction of crash reports: a secret or a piece of personal data inserted anywhere in the text never
survives, and the ordinary text of a traceback or a log line stays readable."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from keyledger_client.redaction import Redactor

from tests.client.strategies import Carried, around, secrets, usernames

MARKERS = "[token] [redacted] [email] [license-key] [id] [ip] [hex] [user] ~"
REDACT = Redactor(home=Path("/home/carol"))


@given(carried=secrets(), before=around(), after=around())
def test_a_secret_inserted_anywhere_never_survives(carried: Carried, before: str, after: str) -> None:
    """Tokens, Authorization values, passwords, e-mail and IP addresses, fingerprints, license keys: gone."""
    secret, text = carried
    assume(secret not in before and secret not in after)
    assert secret not in REDACT(before + text + after)


@given(username=usernames(), before=around(), after=around())
def test_a_known_username_never_survives(username: str, before: str, after: str) -> None:
    """A username the client knows is removed whatever its case and surroundings."""
    for seen in (before, after, MARKERS, "Bearer Basic authorization"):
        assume(username.lower() not in seen.lower())
    redacted = Redactor([username], home=Path("/home/carol"))(before + username.swapcase() + after)
    assert username.lower() not in redacted.lower()


@given(
    name=st.from_regex(r"[a-z][a-z0-9_.-]{0,20}", fullmatch=True), rest=st.from_regex(r"[A-Za-z0-9_/.]{0,30}")
)
def test_home_folders_become_a_tilde(name: str, rest: str) -> None:
    """Paths under anyone's home folder lose the folder (and with it the account name)."""
    for home in (f"/home/{name}", f"/Users/{name}", f"C:\\Users\\{name}"):
        assert REDACT(f'File "{home}/{rest}", line 3').startswith('File "~')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01 12:00:00,123 INFO keyledger_client.licensing [MainThread] heartbeat", None),
        ('  File "/opt/acme/app.py", line 42, in handle_click', None),
        ("ZeroDivisionError: division by zero", None),
        ("login failed for carol@example.com from 203.0.113.9", "login failed for [email] from [ip]"),
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln", "Authorization: [redacted]"),
        ("{'password': 'correct horse battery', 'user': 'x'}", "{'password': [redacted], 'user': 'x'}"),
        ("device de71ce00-0000-4000-8000-000000000001 key 3b6a27bcceb6a42d", "device [id] key [hex]"),
        ("key ABCDE-FGHJK-MNPQR-STVWX-YZ012 refused", "key [license-key] refused"),
        ("File /home/carol/app.py", "File ~/app.py"),
    ],
)
def test_what_stays_and_what_goes(text: str, expected: str | None) -> None:
    """Timestamps, module paths and error messages stay; the personal parts are replaced by markers."""
    assert REDACT(text) == (text if expected is None else expected)
