"""Send a notification: a JSON POST to a webhook, or an e-mail over SMTP. One attempt each,
with a short timeout; the caller (engine/notify.py) retries with backoff."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from syncbeat import __version__
from syncbeat.feeds.urls import shown_url

TIMEOUT = 5.0  # seconds: a receiver slower than this is tried again later


class SendError(Exception):
    """A message was not sent, in words an operator understands."""


@dataclass(frozen=True, kw_only=True)
class SmtpServer:
    host: str
    port: int
    starttls: bool
    user: str
    password: str
    sender: str
    recipients: tuple[str, ...]


def post_webhook(url: str, payload: dict[str, Any], *, timeout: float = TIMEOUT) -> None:
    """POST the payload as JSON; any answer but 2xx is a SendError."""
    import httpx  # here: every command's start would pay its 0.15 s, for the few that post

    try:
        answer = httpx.post(url, json=payload, timeout=timeout, follow_redirects=False,
                            headers={"User-Agent": f"syncbeat/{__version__}"})
    except httpx.HTTPError as exc:
        raise SendError(f"the webhook {shown_url(url)} could not be reached: "
                        f"{exc or type(exc).__name__}") from None
    if not 200 <= answer.status_code < 300:
        raise SendError(f"the webhook {shown_url(url)} answered {answer.status_code} "
                        f"{answer.reason_phrase}")


def send_mail(server: SmtpServer, subject: str, text: str, *,
              timeout: float = TIMEOUT) -> None:
    """Send a plain text e-mail; any refusal is a SendError."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = server.sender or f"syncbeat@{server.host}"
    mail["To"] = ", ".join(server.recipients)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="syncbeat")
    mail.set_content(text)
    where = f"the SMTP server {server.host}:{server.port}"
    try:
        with smtplib.SMTP(server.host, server.port, timeout=timeout) as smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                smtp.login(server.user, server.password)
            smtp.send_message(mail)
    except smtplib.SMTPAuthenticationError:
        raise SendError(f"{where} refused the user {server.user} or its password") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(f"{where} does not offer {_what(exc)}") from None
    except smtplib.SMTPException as exc:
        raise SendError(f"{where} refused the message: {exc}") from None
    except (OSError, ssl.SSLError) as exc:
        raise SendError(f"{where} could not be reached: {exc}") from None


def _what(exc: Exception) -> str:
    text = str(exc)
    return "STARTTLS (set STARTTLS to no, or use its TLS port)" if "STARTTLS" in text.upper() \
        else text
