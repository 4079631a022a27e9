"""Alert e-mail over SMTP (the standard library's ``smtplib``): one plain-text message to the configured
admin addresses, STARTTLS when asked, a short timeout. A failure raises, so the delivery is retried."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None
    sender: str
    recipients: tuple[str, ...]

    @classmethod
    def from_url(cls, url: str, sender: str, recipients: tuple[str, ...]) -> SmtpConfig:
        """``smtp://[user:password@]host[:port]`` or ``smtp+starttls://...``."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls") or not parts.hostname:
            raise ValueError("the SMTP URL must be smtp://host[:port] or smtp+starttls://host[:port]")
        return cls(
            host=parts.hostname,
            port=parts.port or 25,
            starttls=parts.scheme == "smtp+starttls",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=sender,
            recipients=recipients,
        )


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def send(self, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"], message["To"] = self.config.sender, ", ".join(self.config.recipients)
        message["Subject"] = subject
        message.set_content(text)
        with smtplib.SMTP(self.config.host, self.config.port, timeout=TIMEOUT_S) as smtp:
            if self.config.starttls:
                smtp.starttls()
            if self.config.username and self.config.password:
                smtp.login(self.config.username, self.config.password)
            smtp.send_message(message)
