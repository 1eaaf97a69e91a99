"""Snapshots of sources (files and URLs) and delivery of exports (folders, files, URLs)."""

from __future__ import annotations

import os
import pathlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from syncbeat.feeds import FeedError, deliver, snapshot
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach
from syncbeat.feeds.sources import head

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


@pytest.fixture
def data(tmp_path: pathlib.Path) -> pathlib.Path:
    """The data folder; its feeds/ sub-folder holds the feeds."""
    (tmp_path / "data" / "feeds").mkdir(parents=True)
    return tmp_path / "data"


@pytest.fixture
def reach(data: pathlib.Path) -> Reach:
    """The data folder, and the test servers on 127.0.0.1 allowed as SYNCBEAT_ALLOWED_HOSTS
    would allow them."""
    return Reach.create(data_dir=data, hosts=HostPolicy.parse("127.0.0.1"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- snapshot --------------------------------------------------------------------------------


def test_snapshot_of_a_relative_path_copies_byte_for_byte(
    tmp_path: pathlib.Path, data: pathlib.Path, reach: Reach
) -> None:
    (data / "feeds" / "a.csv").write_bytes(FEED)
    dest = tmp_path / "snap" / "task-1.csv"
    dest.parent.mkdir()
    assert snapshot("feeds/a.csv", dest, reach=reach) == len(FEED)
    assert dest.read_bytes() == FEED
    assert sorted(p.name for p in dest.parent.iterdir()) == ["task-1.csv"]


def test_snapshot_of_a_file_url(tmp_path: pathlib.Path, data: pathlib.Path, reach: Reach) -> None:
    (data / "feeds" / "a.csv").write_bytes(FEED)
    dest = tmp_path / "snap.csv"
    assert snapshot((data / "feeds" / "a.csv").as_uri(), dest, reach=reach) == len(FEED)
    assert dest.read_bytes() == FEED


def test_snapshot_of_a_missing_file(tmp_path: pathlib.Path, data: pathlib.Path,
                                    reach: Reach) -> None:
    with pytest.raises(FeedError) as failure:
        snapshot("feeds/a.csv", tmp_path / "snap.csv", reach=reach)
    assert str(failure.value) == (
        f"the file feeds/a.csv does not exist (looked for {data / 'feeds' / 'a.csv'})"
    )
    assert list(tmp_path.iterdir()) == [data]  # no .part left behind


def test_a_missing_file_is_named_under_the_data_folder_as_the_operator_named_it(
        tmp_path: pathlib.Path, data: pathlib.Path) -> None:
    named = Reach.create(data_dir=data, shown_data_dir=pathlib.Path("./syncbeat-data"))
    with pytest.raises(FeedError) as failure:
        snapshot("feeds/a.csv", tmp_path / "snap.csv", reach=named)
    assert str(failure.value) == (
        "the file feeds/a.csv does not exist (looked for syncbeat-data/feeds/a.csv)")
    with pytest.raises(FeedError) as failure:  # outside it: the path as it is
        snapshot(str(tmp_path / "b.csv"), tmp_path / "snap.csv",
                 reach=Reach.create(data_dir=data, allowed_paths=(tmp_path,),
                                    shown_data_dir=pathlib.Path("syncbeat-data")))
    assert str(failure.value) == f"the file {tmp_path / 'b.csv'} does not exist"


def test_snapshot_of_a_folder(tmp_path: pathlib.Path, data: pathlib.Path, reach: Reach) -> None:
    (data / "feeds" / "old").mkdir()
    with pytest.raises(FeedError, match=r"^feeds/old is a folder, not a file"):
        snapshot("feeds/old", tmp_path / "snap.csv", reach=reach)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may read anything")
def test_snapshot_without_permission(tmp_path: pathlib.Path, data: pathlib.Path,
                                     reach: Reach) -> None:
    source = data / "feeds" / "a.csv"
    source.write_bytes(FEED)
    source.chmod(0)
    with pytest.raises(FeedError, match=r"not allowed to read .* \(permission denied\)"):
        snapshot(str(source), tmp_path / "snap.csv", reach=reach)


def test_snapshot_of_an_unsupported_scheme(tmp_path: pathlib.Path, reach: Reach) -> None:
    with pytest.raises(FeedError, match="syncbeat cannot read gopher:// sources"):
        snapshot("gopher://example.com/feed.csv", tmp_path / "snap.csv", reach=reach)


def test_snapshot_downloads_following_redirects(tmp_path: pathlib.Path, serve,
                                                reach: Reach) -> None:
    def answer(handler: BaseHTTPRequestHandler, _: int) -> None:
        if handler.path == "/old.csv":
            reply(handler, 302, Location="/feed.csv")
        else:
            reply(handler, 200, FEED, Content_Type="text/csv")

    server = serve(answer)
    dest = tmp_path / "snap.csv"
    assert snapshot(f"{server.url}/old.csv", dest, reach=reach) == len(FEED)
    assert dest.read_bytes() == FEED
    assert [path for _, path, _, _ in server.requests] == ["/old.csv", "/feed.csv"]


@pytest.mark.parametrize(
    ("status", "words"), [(404, "404 Not Found"), (500, "500 Internal Server Error")]
)
def test_snapshot_of_an_http_error(tmp_path: pathlib.Path, serve, status: int, words: str,
                                   reach: Reach, data: pathlib.Path) -> None:
    server = serve(lambda handler, _: reply(handler, status, b"oops"))
    with pytest.raises(FeedError) as failure:
        snapshot(f"{server.url}/feed.csv", tmp_path / "snap.csv", reach=reach)
    assert str(failure.value) == f"the server answered {words} for {server.url}/feed.csv"
    assert list(tmp_path.iterdir()) == [data]


def test_snapshot_when_the_connection_is_refused(tmp_path: pathlib.Path, reach: Reach) -> None:
    url = f"http://127.0.0.1:{closed_port()}/feed.csv"
    with pytest.raises(FeedError) as failure:
        snapshot(url, tmp_path / "snap.csv", reach=reach, timeout=5)
    assert str(failure.value) == (
        f"could not connect to {url[7:].split('/')[0]} for {url}: the connection was refused"
    )


def test_snapshot_when_the_server_is_too_slow(tmp_path: pathlib.Path, serve,
                                              reach: Reach) -> None:
    def answer(handler: BaseHTTPRequestHandler, _: int) -> None:
        server.release.wait(10)

    server = serve(answer)
    with pytest.raises(FeedError) as failure:
        snapshot(f"{server.url}/feed.csv", tmp_path / "snap.csv", reach=reach, timeout=0.3)
    assert (
        str(failure.value)
        == f"the server at {server.url}/feed.csv did not answer within 0.3 seconds"
    )


def test_a_password_in_the_url_is_not_shown(tmp_path: pathlib.Path, serve, reach: Reach) -> None:
    server = serve(lambda handler, _: reply(handler, 403))
    url = server.url.replace("http://", "http://shop:s3cret@") + "/feed.csv"
    with pytest.raises(FeedError) as failure:
        snapshot(url, tmp_path / "snap.csv", reach=reach)
    assert "s3cret" not in str(failure.value)
    assert "shop:***@127.0.0.1" in str(failure.value)


# -- deliver ---------------------------------------------------------------------------------


@pytest.fixture
def export(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "artifacts" / "export.json"
    path.parent.mkdir()
    path.write_bytes(b'{"count": 1, "products": [{"name": "\xc5\xa0"}]}\n')
    return path


def test_deliver_to_a_folder_creates_it(data: pathlib.Path, export: pathlib.Path,
                                        reach: Reach) -> None:
    done = deliver(export, "exports/", reach=reach, file_name="catalog-12.json")
    assert done == "written to exports/catalog-12.json"
    assert (data / "exports" / "catalog-12.json").read_bytes() == export.read_bytes()
    assert [p.name for p in (data / "exports").iterdir()] == ["catalog-12.json"]


def test_deliver_to_an_existing_folder_without_slash(
    data: pathlib.Path, export: pathlib.Path, reach: Reach
) -> None:
    (data / "out").mkdir()
    done = deliver(export, str(data / "out"), reach=reach, file_name="catalog.json")
    assert done == f"written to {data / 'out'}/catalog.json"
    assert (data / "out" / "catalog.json").read_bytes() == export.read_bytes()


def test_deliver_to_a_file_replaces_it(data: pathlib.Path, export: pathlib.Path,
                                       reach: Reach) -> None:
    (data / "shop").mkdir()
    (data / "shop" / "import.json").write_text("old")
    done = deliver(export, "shop/import.json", reach=reach, file_name="ignored.json")
    assert done == "written to shop/import.json"
    assert (data / "shop" / "import.json").read_bytes() == export.read_bytes()
    assert [p.name for p in (data / "shop").iterdir()] == ["import.json"]


def test_deliver_retries_503_then_succeeds(serve, export: pathlib.Path, reach: Reach) -> None:
    def answer(handler: BaseHTTPRequestHandler, number: int) -> None:
        if number <= 2:
            reply(handler, 503, b"busy")
        else:
            reply(handler, 200, b"ok")

    server = serve(answer)
    done = deliver(export, f"{server.url}/import", reach=reach, file_name="x.json", backoff=0)
    assert done == f"sent to {server.url}/import (200 OK)"
    assert len(server.requests) == 3
    for method, path, headers, body in server.requests:
        assert (method, path, body) == ("POST", "/import", export.read_bytes())
        assert headers["Content-Type"] == "application/json"


def test_deliver_gives_up_at_once_on_400(serve, export: pathlib.Path, reach: Reach) -> None:
    server = serve(lambda handler, _: reply(handler, 400, b"field 'sku' is missing"))
    with pytest.raises(FeedError) as failure:
        deliver(export, f"{server.url}/import", reach=reach, file_name="x.json", backoff=0)
    assert str(failure.value) == (
        f"sending the export to {server.url}/import failed: "
        "the server answered 400 Bad Request: field 'sku' is missing"
    )
    assert len(server.requests) == 1


def test_deliver_gives_up_after_the_retries(serve, export: pathlib.Path, reach: Reach) -> None:
    server = serve(lambda handler, _: reply(handler, 502))
    with pytest.raises(FeedError) as failure:
        deliver(export, f"{server.url}/import", reach=reach, file_name="x.json", retries=2,
                backoff=0)
    assert str(failure.value) == (
        f"sending the export to {server.url}/import failed (tried 3 times): "
        "the server answered 502 Bad Gateway"
    )
    assert len(server.requests) == 3


def test_deliver_when_the_connection_is_refused(export: pathlib.Path, reach: Reach) -> None:
    url = f"http://127.0.0.1:{closed_port()}/import"
    with pytest.raises(FeedError, match=r"\(tried 2 times\): could not connect .* was refused"):
        deliver(export, url, reach=reach, file_name="x.json", retries=1, backoff=0)


def test_deliver_a_missing_export(tmp_path: pathlib.Path, reach: Reach) -> None:
    with pytest.raises(FeedError, match=r"the export file .* is missing"):
        deliver(tmp_path / "gone.json", "exports/", reach=reach, file_name="x.json")


# -- what a remote server cannot do ----------------------------------------------------------


def test_a_server_on_the_servers_own_network_is_not_reached_unless_allowed(
        tmp_path: pathlib.Path, data: pathlib.Path, serve, export: pathlib.Path) -> None:
    server = serve(lambda handler, _: reply(handler, 200, FEED))
    strict = Reach.create(data_dir=data)  # no SYNCBEAT_ALLOWED_HOSTS
    with pytest.raises(FeedError, match=r"^source.location .*loopback"):
        snapshot(f"{server.url}/feed.csv", tmp_path / "snap.csv", reach=strict)
    with pytest.raises(FeedError, match=r"^destination.location .*loopback"):
        deliver(export, f"{server.url}/import", reach=strict, file_name="x.json", backoff=0)
    assert server.requests == []
    allowed = Reach.create(data_dir=data, hosts=HostPolicy.parse("127.0.0.1"))
    assert snapshot(f"{server.url}/feed.csv", tmp_path / "snap.csv", reach=allowed) == len(FEED)
    assert len(server.requests) == 1


@pytest.mark.parametrize("declared", [True, False])
def test_a_remote_feed_larger_than_the_limit_is_an_error(
        tmp_path: pathlib.Path, data: pathlib.Path, serve, declared: bool) -> None:
    def answer(handler: BaseHTTPRequestHandler, _: int) -> None:
        handler.send_response(200)
        if declared:
            handler.send_header("Content-Length", str(len(FEED)))
        handler.end_headers()  # without a length, the body ends when the connection closes
        handler.wfile.write(FEED)
        handler.close_connection = True

    server = serve(answer)
    small = Reach.create(data_dir=data, hosts=HostPolicy.parse("127.0.0.1"),
                         max_download=10 << 10)
    with pytest.raises(FeedError) as failure:
        snapshot(f"{server.url}/feed.csv", tmp_path / "snap.csv", reach=small)
    assert str(failure.value) == (f"{server.url}/feed.csv is larger than 10 KiB: "
                                  "syncbeat reads remote feeds up to 10 KiB")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def drip(handler: BaseHTTPRequestHandler, release: threading.Event, data: bytes) -> None:
    """Send `data` a byte every 50 ms: each byte well within the read timeout."""
    try:
        for byte in data:
            if release.wait(0.05):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
    except OSError:
        pass  # syncbeat hung up, as it should


@pytest.mark.parametrize("slow", ["body", "headers"])
def test_a_server_that_sends_a_byte_at_a_time_is_given_up_on(
        tmp_path: pathlib.Path, data: pathlib.Path, serve, export: pathlib.Path,
        slow: str) -> None:
    def answer(handler: BaseHTTPRequestHandler, _: int) -> None:
        if slow == "headers":
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            drip(handler, server.release, b"X-Slow: " + b"x" * 1000 + b"\r\n\r\n")
            return
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        drip(handler, server.release, b"x" * 1000)

    server = serve(answer)
    patient = Reach.create(data_dir=data, hosts=HostPolicy.parse("127.0.0.1"),
                           download_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(FeedError, match=r"^reading .* took longer than 1 seconds"):
        snapshot(f"{server.url}/feed.csv", tmp_path / "snap.csv", reach=patient, timeout=5)
    assert time.monotonic() - started < 3
    started = time.monotonic()
    with pytest.raises(FeedError, match=r"^sending the export .* took longer than 1 seconds$"):
        deliver(export, f"{server.url}/import", reach=patient, file_name="x.json", backoff=0)
    assert time.monotonic() - started < 3


def test_head_copies_only_the_first_bytes(tmp_path: pathlib.Path, data: pathlib.Path,
                                          reach: Reach, serve) -> None:
    (data / "feeds" / "big.csv").write_bytes(FEED * 10)
    assert head("feeds/big.csv", tmp_path / "h.csv", reach=reach, limit=1000, seconds=5)
    assert (tmp_path / "h.csv").read_bytes() == (FEED * 10)[:1000]
    server = serve(lambda handler, _: reply(handler, 200, FEED * 10))
    assert head(f"{server.url}/big.csv", tmp_path / "r.csv", reach=reach, limit=1000, seconds=5)
    assert (tmp_path / "r.csv").read_bytes() == (FEED * 10)[:1000]
    assert not head("feeds/big.csv", tmp_path / "all.csv", reach=reach, limit=10**7, seconds=5)


def test_an_error_quotes_only_the_first_line_of_the_answer(serve, export: pathlib.Path,
                                                           reach: Reach) -> None:
    secret = b"root:x:0:0:root:/root:/bin/bash\n" * 50
    server = serve(lambda handler, _: reply(handler, 422, b"A" * 300 + b"\n" + secret))
    with pytest.raises(FeedError) as failure:
        deliver(export, f"{server.url}/import", reach=reach, file_name="x.json", backoff=0)
    assert str(failure.value) == (
        f"sending the export to {server.url}/import failed: "
        f"the server answered 422 Unprocessable Entity: {'A' * 100}..."
    )
