"""Logging for the CLI: a rotating file in the client's folder (with tracebacks, for support) and, when
asked, stderr. A filter masks anything that looks like a token, so a secret that slipped into a message
never reaches a log."""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILE = "client.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
SECRET = re.compile(
    r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"  # a JWT
    r"|(?i:bearer)\s+\S+"  # an authorization header
    r"|(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])"  # a long opaque token
)


def redact(text: str) -> str:
    return SECRET.sub("[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(home: Path, *, verbose: bool = False) -> Path:
    """Logs of the ``keyledger_client`` package to ``home/client.log`` (and stderr when ``verbose``)."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = home / LOG_FILE
    logger = logging.getLogger("keyledger_client")
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = [RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3)]
    if verbose:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RedactSecrets())
        logger.addHandler(handler)
    return path
