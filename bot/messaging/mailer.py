"""Sending email through SMTP (STARTTLS or TLS, with or without a login)."""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask


@dataclass(frozen=True)
class MailSettings:
    host: str | None
    port: int = 587
    username: str | None = None
    password: str | None = None
    security: str = "starttls"  # "starttls", "tls" (implicit, port 465) or "none"
    sender: str = "Common Purse <digest@localhost>"
    timeout: float = 30.0


def mail_settings(app: Flask) -> MailSettings:
    c = app.config
    return MailSettings(
        host=c["SMTP_HOST"],
        port=int(c["SMTP_PORT"]),
        username=c["SMTP_USERNAME"],
        password=c["SMTP_PASSWORD"],
        security=c["SMTP_SECURITY"],
        sender=c["MAIL_FROM"],
    )


class MailNotConfigured(RuntimeError):
    """No SMTP server is configured, so no email can go."""


def send_email(settings: MailSettings, message: EmailMessage) -> None:
    if not settings.host:
        raise MailNotConfigured("no SMTP server is configured: set COMMONPURSE_SMTP_HOST")
    context = ssl.create_default_context()
    client: smtplib.SMTP  # SMTP_SSL is one
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(message)
