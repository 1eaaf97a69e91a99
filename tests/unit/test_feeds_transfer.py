"""Snapshots of sources (files and URLs) and delivery of exports (folders, files, URLs)."""

from __future__ import annotations

import os
import pathlib
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from syncbeat.feeds import FeedError, deliver, snapshot

FEED = "sku;name\nA;Šilutė\n".encode() + bytes(range(256)) * 100


class Server:
    """An HTTP server on 127.0.0.1 whose answers are scripted per test."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, int], None]) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.release = threading.Event()  # lets a deliberately slow answer finish at teardown
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.command, self.path, dict(self.headers), b""))
                answer(self, len(server.requests))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append((self.command, self.path, dict(self.headers), body))
                answer(self, len(server.requests))

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler, int], None]], Server]]:
    servers: list[Server] = []

    def start(answer: Callable[[BaseHTTPRequestHandler, int], None]) -> Server:
        servers.append(Server(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- snapshot --------------------------------------------------------------------------------


def test_snapshot_of_a_relative_path_copies_byte_for_byte(tmp_path: pathlib.Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "a.csv").write_bytes(FEED)
    dest = tmp_path / "snap" / "task-1.csv"
    dest.parent.mkdir()
    assert snapshot("feeds/a.csv", dest, base_dir=tmp_path) == len(FEED)
    assert dest.read_bytes() == FEED
    assert sorted(p.name for p in dest.parent.iterdir()) == ["task-1.csv"]


def test_snapshot_of_a_file_url(tmp_path: pathlib.Path) -> None:
    (tmp_path / "a.csv").write_bytes(FEED)
    dest = tmp_path / "snap.csv"
    assert snapshot((tmp_path / "a.csv").as_uri(), dest) == len(FEED)
    assert dest.read_bytes() == FEED


def test_snapshot_of_a_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FeedError) as failure:
        snapshot("feeds/a.csv", tmp_path / "snap.csv", base_dir=tmp_path)
    assert str(failure.value) == (
        f"the file feeds/a.csv does not exist (looked for {tmp_path / 'feeds' / 'a.csv'})"
    )
    assert list(tmp_path.iterdir()) == []  # no .part left behind


def test_snapshot_of_a_folder(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FeedError, match=r"^feeds is a folder, not a file"):
        (tmp_path / "feeds").mkdir()
        snapshot("feeds", tmp_path / "snap.csv", base_dir=tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may read anything")
def test_snapshot_without_permission(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "a.csv"
    source.write_bytes(FEED)
    source.chmod(0)
    with pytest.raises(FeedError, match=r"not allowed to read .* \(permission denied\)"):
        snapshot(str(source), tmp_path / "snap.csv")


def test_snapshot_of_an_unsupported_scheme(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FeedError, match="syncbeat cannot read gopher:// sources"):
        snapshot("gopher://example.com/feed.csv", tmp_path / "snap.csv")


def test_snapshot_downloads_following_redirects(tmp_path: pathlib.Path, serve) -> None:
    def answer(handler: BaseHTTPRequestHandler, _: int) -> None:
        if handler.path == "/old.csv":
            reply(handler, 302, Location="/feed.csv")
        else:
            reply(handler, 200, FEED, Content_Type="text/csv")

    server = serve(answer)
    dest = tmp_path / "snap.csv"
    assert snapshot(f"{server.url}/old.csv", dest) == len(FEED)
    assert dest.read_bytes() == FEED
    assert [path for _, path, _, _ in server.requests] == ["/old.csv", "/feed.csv"]


@pytest.mark.parametrize(
    ("status", "words"), [(404, "404 Not Found"), (500, "500 Internal Server Error")]
)
def test_snapshot_of_an_http_error(tmp_path: pathlib.Path, serve, status: int, words: str) -> None:
    server = serve(lambda handler, _: reply(handler, status, b"oops"))
    with pytest.raises(FeedError) as failure:
        snapshot(f"{server.url}/feed.csv", tmp_path / "snap.csv")
    assert str(failure.value) == f"the server answered {words} for {server.url}/feed.csv"
    assert list(tmp_path.iterdir()) == []


def test_snapshot_when_the_connection_is_refused(tmp_path: pathlib.Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/feed.csv"
    with pytest.raises(FeedError) as failure:
        snapshot(url, tmp_path / "snap.csv", timeout=5)
    assert str(failure.value) == (
        f"could not connect to {url[7:].split('/')[0]} for {url}: the connection was refused"
    )


def test_snapshot_when_the_server_is_too_slow(tmp_path: pathlib.Path, serve) -> None:
    def answer(handler: BaseHTTPRequestHandler, _: int) -> None:
        server.release.wait(10)

    server = serve(answer)
    with pytest.raises(FeedError) as failure:
        snapshot(f"{server.url}/feed.csv", tmp_path / "snap.csv", timeout=0.3)
    assert (
        str(failure.value)
        == f"the server at {server.url}/feed.csv did not answer within 0.3 seconds"
    )


def test_a_password_in_the_url_is_not_shown(tmp_path: pathlib.Path, serve) -> None:
    server = serve(lambda handler, _: reply(handler, 403))
    url = server.url.replace("http://", "http://shop:s3cret@") + "/feed.csv"
    with pytest.raises(FeedError) as failure:
        snapshot(url, tmp_path / "snap.csv")
    assert "s3cret" not in str(failure.value)
    assert "shop:***@127.0.0.1" in str(failure.value)


# -- deliver ---------------------------------------------------------------------------------


@pytest.fixture
def export(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "artifacts" / "export.json"
    path.parent.mkdir()
    path.write_bytes(b'{"count": 1, "products": [{"name": "\xc5\xa0"}]}\n')
    return path


def test_deliver_to_a_folder_creates_it(tmp_path: pathlib.Path, export: pathlib.Path) -> None:
    done = deliver(export, "exports/", base_dir=tmp_path, file_name="catalog-12.json")
    assert done == "written to exports/catalog-12.json"
    assert (tmp_path / "exports" / "catalog-12.json").read_bytes() == export.read_bytes()
    assert [p.name for p in (tmp_path / "exports").iterdir()] == ["catalog-12.json"]


def test_deliver_to_an_existing_folder_without_slash(
    tmp_path: pathlib.Path, export: pathlib.Path
) -> None:
    (tmp_path / "out").mkdir()
    done = deliver(export, str(tmp_path / "out"), file_name="catalog.json")
    assert done == f"written to {tmp_path / 'out'}/catalog.json"
    assert (tmp_path / "out" / "catalog.json").read_bytes() == export.read_bytes()


def test_deliver_to_a_file_replaces_it(tmp_path: pathlib.Path, export: pathlib.Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "import.json").write_text("old")
    done = deliver(export, "shop/import.json", base_dir=tmp_path, file_name="ignored.json")
    assert done == "written to shop/import.json"
    assert (tmp_path / "shop" / "import.json").read_bytes() == export.read_bytes()
    assert [p.name for p in (tmp_path / "shop").iterdir()] == ["import.json"]


def test_deliver_retries_503_then_succeeds(serve, export: pathlib.Path) -> None:
    def answer(handler: BaseHTTPRequestHandler, number: int) -> None:
        if number <= 2:
            reply(handler, 503, b"busy")
        else:
            reply(handler, 200, b"ok")

    server = serve(answer)
    done = deliver(export, f"{server.url}/import", file_name="x.json", backoff=0)
    assert done == f"sent to {server.url}/import (200 OK)"
    assert len(server.requests) == 3
    for method, path, headers, body in server.requests:
        assert (method, path, body) == ("POST", "/import", export.read_bytes())
        assert headers["Content-Type"] == "application/json"


def test_deliver_gives_up_at_once_on_400(serve, export: pathlib.Path) -> None:
    server = serve(lambda handler, _: reply(handler, 400, b"field 'sku' is missing"))
    with pytest.raises(FeedError) as failure:
        deliver(export, f"{server.url}/import", file_name="x.json", backoff=0)
    assert str(failure.value) == (
        f"sending the export to {server.url}/import failed: "
        "the server answered 400 Bad Request: field 'sku' is missing"
    )
    assert len(server.requests) == 1


def test_deliver_gives_up_after_the_retries(serve, export: pathlib.Path) -> None:
    server = serve(lambda handler, _: reply(handler, 502))
    with pytest.raises(FeedError) as failure:
        deliver(export, f"{server.url}/import", file_name="x.json", retries=2, backoff=0)
    assert str(failure.value) == (
        f"sending the export to {server.url}/import failed (tried 3 times): "
        "the server answered 502 Bad Gateway"
    )
    assert len(server.requests) == 3


def test_deliver_when_the_connection_is_refused(export: pathlib.Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/import"
    with pytest.raises(FeedError, match=r"\(tried 2 times\): could not connect .* was refused"):
        deliver(export, url, file_name="x.json", retries=1, backoff=0)


def test_deliver_a_missing_export(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FeedError, match=r"the export file .* is missing"):
        deliver(tmp_path / "gone.json", str(tmp_path), file_name="x.json")
