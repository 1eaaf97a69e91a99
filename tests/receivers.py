"""Real servers on loopback that receive notifications: an HTTP receiver (http.server in a
thread) and an SMTP server (aiosmtpd), each keeping what it was sent."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class HttpReceiver:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # each request's path and query
    answers: list[int] = field(default_factory=list)  # statuses to answer first, then 204


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    """A webhook receiver on 127.0.0.1 keeping each JSON body it was POSTed."""
    state = HttpReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.paths.append(self.path)
            status = state.answers.pop(0) if state.answers else 204
            if status < 300:
                assert self.headers["Content-Type"] == "application/json"
                state.received.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpReceiver:
    port: int
    mails: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


@contextmanager
def smtp_receiver(password: str | None = None, tls: tuple[Path, Path] | None = None
                  ) -> Iterator[SmtpReceiver]:
    """An SMTP server on 127.0.0.1; with `password`, it wants AUTH LOGIN/PLAIN with it; with
    `tls` (a certificate and its key), it wants STARTTLS before anything else."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    state = SmtpReceiver(port=port)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            state.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            state.mails.append(message_from_bytes(envelope.original_content, policy=default))
            return "250 OK"

    def check(server: Any, session: Any, envelope: Any, mechanism: str,
              auth_data: Any) -> AuthResult:
        ok = auth_data.password.decode() == password
        if ok:
            state.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    extra: dict[str, Any] = {}
    if password is not None:
        extra = {"authenticator": check, "auth_require_tls": False,
                 "auth_exclude_mechanism": ["LOGIN"]}
    if tls is not None:
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        extra.update(tls_context=context, require_starttls=True, auth_require_tls=True)
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **extra)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()
