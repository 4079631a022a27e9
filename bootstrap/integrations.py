"""The integrations' outside world, built from settings: the SSRF guard and sender of webhooks, their
secrets, and alert e-mail (when SMTP is configured)."""

from __future__ import annotations

from adapters.mailer import SmtpConfig, SmtpMailer
from adapters.outbound import HttpSender, OutboundGuard, parse_networks
from adapters.response_seal import WebhookSecrets
from api.integrations import Integrations
from bootstrap.settings import Settings
from domain.digests import Digests


def guard(settings: Settings) -> OutboundGuard:
    return OutboundGuard(parse_networks(settings.webhook_allow_networks))


def webhook_secrets(digests: Digests) -> WebhookSecrets:
    return WebhookSecrets(digests.key_for("webhook-secrets"))


def integrations(settings: Settings, digests: Digests) -> Integrations:
    return Integrations(guard(settings), webhook_secrets(digests))


def sender(settings: Settings) -> HttpSender:
    return HttpSender(guard(settings))


def mailer(settings: Settings) -> SmtpMailer | None:
    if settings.smtp_url is None or not settings.alert_email_to:
        return None
    config = SmtpConfig.from_url(
        settings.smtp_url.get_secret_value(), settings.alert_email_from, tuple(settings.alert_email_to)
    )
    return SmtpMailer(config)
