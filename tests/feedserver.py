"""A real HTTP server on 127.0.0.1 that serves one feed (or takes an export) and records every
request that reaches it: the tests of what syncbeat may reach count on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    authorization: str | None
    body: bytes


class FeedServer:
    """Answers every request with `status` and `body`; `requests` lists what arrived."""

    def __init__(self, body: bytes = b"", status: int = 200) -> None:
        self.body = body
        self.status = status
        self.requests: list[Request] = []
        self.arrived = threading.Event()  # set when a request has arrived
        self.hold: threading.Event | None = None  # if set: answer only once it is set
        server = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                sent = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append(Request(self.command, self.path,
                                               self.headers.get("Authorization"), sent))
                server.arrived.set()
                if server.hold is not None:
                    server.hold.wait(30)
                self.send_response(server.status)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            do_GET = do_POST = answer

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str = "/feed.csv", credentials: str = "") -> str:
        """The URL of `path` on this server, with `user:password@` if given."""
        at = f"{credentials}@" if credentials else ""
        return f"http://{at}127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@contextmanager
def feed_server(body: bytes = b"", status: int = 200) -> Iterator[FeedServer]:
    """A FeedServer for the length of a `with` block."""
    server = FeedServer(body, status)
    try:
        yield server
    finally:
        server.stop()


class HeaderServer:
    """A real HTTP server on 127.0.0.1 that answers only a request carrying every header of
    `wanted` (else 401 or 403, as a real API would) and records each request whole."""

    def __init__(self, wanted: dict[str, str], body: bytes = b"") -> None:
        self.wanted = wanted
        self.body = body
        self.seen: list[dict[str, object]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                sent = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.seen.append({"method": self.command, "path": self.path,
                                    "headers": dict(self.headers.items()), "body": sent})
                missing = [k for k in server.wanted if k not in self.headers]
                wrong = [k for k, v in server.wanted.items() if self.headers.get(k) != v]
                status = 401 if missing else 403 if wrong else 200
                reply = server.body if status == 200 else b"refused"
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PUT = answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str = "/feed.csv") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@contextmanager
def header_server(wanted: dict[str, str], body: bytes = b"") -> Iterator[HeaderServer]:
    """A HeaderServer for the length of a `with` block."""
    server = HeaderServer(wanted, body)
    try:
        yield server
    finally:
        server.stop()
