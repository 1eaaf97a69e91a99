"""Real HTTP servers on loopback addresses that count what reaches them, for network guard tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class Server:
    """An HTTP server on one loopback address that gives every request the same answer."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        status: int = 200,
        body: bytes = b"the feed",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.requests: list[str] = []  # "GET /path", one for each request that arrived
        server = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append(f"{self.command} {self.path}")
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        kind = _Server6 if ":" in host else ThreadingHTTPServer
        self.httpd = kind((host, port), Handler)
        self.host = host
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, host: str | None = None) -> str:
        """The server's URL, reached through `host` (a name or any form of its address)."""
        shown = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"http://{shown}:{self.port}/feed.csv"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@contextmanager
def servers() -> Iterator[list[Server]]:
    """A list to put servers in; each is stopped at the end."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that nothing listens on (taken from the system, then let go)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def ipv6_loopback() -> bool:
    """Whether this machine has the IPv6 loopback address ::1."""
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True
