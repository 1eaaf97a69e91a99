"""ftp:// and ftps:// sources and export destinations (issue 11), against a real FTP server
(pyftpdlib) on 127.0.0.1, plain and with explicit TLS; the host guard applies to them as to
http(s), and passwords and secrets never show."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import add_profile, drain, import_profile, product, task_of

from ftpserver import PASSWORD, ftp_server, make_certificate
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.finish import EXPORT_FILE
from syncbeat.engine.secrets import set_secret
from syncbeat.feeds import FeedError, deliver
from syncbeat.store.db import read_tx
from syncbeat.store.logs import tail_log

NUMBERS = itertools.count(1)


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that this machine trusts (SSL_CERT_FILE, as an operator
    with a private authority would set it)."""
    cert, key = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


def run_import(ctx: Any, location: str) -> Any:
    profile = add_profile(ctx, import_profile(
        name=f"FTP {next(NUMBERS)}",
        source={"location": location, "format": "csv", "delimiter": ";"}))
    assert profile.id is not None
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    return task_of(ctx, task_id)


def run_export(ctx: Any, location: str) -> Any:
    profile = add_profile(ctx, {"name": f"Export {next(NUMBERS)}", "kind": "export",
                                "fields": {"sku": "reference", "price": "price"},
                                "destination": {"location": location}})
    assert profile.id is not None
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    return task_of(ctx, task_id)


def log_of(ctx: Any, task_id: int) -> str:
    with read_tx(ctx.db) as conn:
        return "\n".join(message for _, _, message in tail_log(conn, task_id, 100))


def prices(ctx: Any) -> list[str]:
    return [str((product(ctx, ref) or {}).get("price")) for ref in ("P1", "P2")]


@pytest.mark.parametrize("scheme", ["ftp", "ftps"])
def test_an_import_reads_its_feed_from_an_ftp_server(loopback, root, request, scheme):
    tls = request.getfixturevalue("tls") if scheme == "ftps" else None
    with ftp_server(root, tls) as server:
        task = run_import(loopback, server.url("/feeds/stock.csv", scheme))
    assert task.status is TaskStatus.COMPLETED, task.message
    assert prices(loopback) == ["4.50", "5.50"]
    log = log_of(loopback, task.id)
    assert f"started: read {scheme}://shop:***@127.0.0.1:{server.port}/feeds/stock.csv" in log
    assert PASSWORD not in log and "S3cret" not in log


@pytest.mark.parametrize("scheme", ["ftp", "ftps"])
def test_an_export_is_stored_on_an_ftp_server_whole(loopback, root, request, scheme):
    tls = request.getfixturevalue("tls") if scheme == "ftps" else None
    set_secret(loopback, "ftp_password", PASSWORD)
    with ftp_server(root, tls) as server:
        url = server.url("/incoming/", scheme, login="shop:{secret:ftp_password}")
        task = run_export(loopback, url)
    assert task.status is TaskStatus.COMPLETED, task.message
    stored = sorted(p.name for p in (root / "incoming").iterdir())
    assert len(stored) == 1 and stored[0].endswith(".json")  # no .part left behind
    sent = json.loads((root / "incoming" / stored[0]).read_text())
    assert sent["count"] == 2 and {p["sku"] for p in sent["products"]} == {"P1", "P2"}
    assert (root / "incoming" / stored[0]).read_bytes() == (
        loopback.task_dir(task.id) / EXPORT_FILE).read_bytes()
    assert f"sent to {url}{stored[0]}" in task.message or f"{url}{stored[0]}" in log_of(
        loopback, task.id)
    assert PASSWORD not in log_of(loopback, task.id)


def test_the_host_guard_refuses_an_ftp_server_on_the_servers_own_network(ctx, root):
    with ftp_server(root) as server:
        task = run_import(ctx, server.url("/feeds/stock.csv"))
    assert task.status is TaskStatus.ERROR
    assert "the host 127.0.0.1 is a loopback address of the server itself" in task.message
    assert server.connections == 0


def test_a_wrong_password_or_a_missing_file_is_said_without_the_password(loopback, root):
    with ftp_server(root) as server:
        login = run_import(loopback, server.url("/feeds/stock.csv", login="shop:wrong-pw"))
        missing = run_import(loopback, server.url("/feeds/gone.csv"))
    assert login.status is TaskStatus.ERROR
    assert login.message.startswith(f"the FTP server of ftp://shop:***@127.0.0.1:{server.port}"
                                    "/feeds/stock.csv refused the login (530 ")
    assert missing.message.startswith(
        f"the FTP server of {server.url('/feeds/gone.csv', login='shop:***')} refused reading "
        "/feeds/gone.csv: no such file or folder, or no permission (550 ")
    for task in (login, missing):
        assert "wrong-pw" not in task.message and "S3cret" not in task.message


def test_an_untrusted_certificate_is_refused(loopback, root, tmp_path):
    # The server's certificate is its own: nobody on this machine vouches for it.
    with ftp_server(root, make_certificate(tmp_path)) as server:
        task = run_import(loopback, server.url("/feeds/stock.csv", "ftps"))
    assert task.status is TaskStatus.ERROR
    assert task.message.startswith(f"the TLS certificate of ftps://shop:***@127.0.0.1:"
                                   f"{server.port}/feeds/stock.csv is not trusted: ")


def test_a_delivery_is_retried_then_fails_in_words(loopback, root, tmp_path):
    export = tmp_path / "export.json"
    export.write_text("{}")
    with ftp_server(root) as server:
        port = server.port
    with pytest.raises(FeedError) as failed:
        deliver(export, f"ftp://shop:pw@127.0.0.1:{port}/incoming/", reach=loopback.reach,
                file_name="x.json", retries=2, backoff=0)
    assert str(failed.value) == (f"sending the export to ftp://shop:***@127.0.0.1:{port}"
                                 f"/incoming/ failed (tried 3 times): could not connect to "
                                 f"ftp://shop:***@127.0.0.1:{port}/incoming/: the connection "
                                 "was refused")
