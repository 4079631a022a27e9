"""What a crash report must never carry, removed from its text: tokens (JWTs, refresh and other opaque
tokens, ``Authorization`` values), passwords and other ``secret=value`` pairs, license keys, the
usernames this client knows, home folders (become ``~``), e-mail and IP addresses, identifiers (UUIDs)
and hex fingerprints. It errs on the side of removing too much: a version number that looks like an IPv4
address goes too."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

MIN_USERNAME_CHARS = 3
SECRET_KEYS = r"pass(?:word|wd|phrase)?|secret|token|api[_-]?key|credential|private[_-]?key|cookie"  # noqa: S105 -- names, not a secret
RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*"), "[token]"),
    (re.compile(r"(?i)(authorization|proxy-authorization)(['\"]?\s*[:=]\s*)[^\r\n]*"), r"\1\2[redacted]"),
    (re.compile(r"(?i)(bearer|basic)\s+[^\s'\",;]+"), r"\1 [redacted]"),
    (
        re.compile(
            rf"(?i)((?:{SECRET_KEYS})[A-Za-z0-9_-]*['\"]?\s*[:=]\s*)"
            r"(\"(?:[^\"\\\r\n]|\\.)*\"?|'(?:[^'\\\r\n]|\\.)*'?|[^\s,;&)}\]]*)"
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"[A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[email]"),
    (re.compile(r"(?:/home|/Users|/root|[A-Za-z]:\\(?:Users|Documents and Settings))[/\\][^/\\\s'\"]*"), "~"),
    (re.compile(r"[0-9A-Za-z]{5}(?:-[0-9A-Za-z]{5}){4}"), "[license-key]"),
    (re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"), "[id]"),
    (re.compile(r"[0-9A-Fa-f:]*::[0-9A-Fa-f:.]*|(?:[0-9A-Fa-f]{1,4}:){3,}[0-9A-Fa-f.]*"), "[ip]"),
    (re.compile(r"\d{1,3}(?:\.\d{1,3}){3}"), "[ip]"),
    (re.compile(r"[0-9A-Fa-f]{16,}"), "[hex]"),
    (re.compile(r"[A-Za-z0-9_-]{40,}"), "[token]"),
)


class Redactor:
    """Removes secrets and personal data from text; ``usernames`` are the accounts this client knows."""

    def __init__(self, usernames: Iterable[str] = (), home: Path | None = None) -> None:
        names = sorted({u for u in usernames if len(u) >= MIN_USERNAME_CHARS}, key=len, reverse=True)
        self.usernames = re.compile("|".join(map(re.escape, names)), re.IGNORECASE) if names else None
        self.home = str(home if home is not None else Path.home())

    def __call__(self, text: str) -> str:
        if len(self.home) > 1:
            text = text.replace(self.home, "~")
        for pattern, replacement in RULES:
            text = pattern.sub(replacement, text)
        if self.usernames is not None:
            text = self.usernames.sub("[user]", text)
        return text
