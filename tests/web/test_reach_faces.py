"""With nothing but an API token (or a signed-in form, or the CLI), no file of the server
outside the data folder, none of syncbeat's own files, no device and no host of the server's
own network can be read or written; passwords in URLs are never shown back."""

from __future__ import annotations

import base64
import gc
import os
import re
import threading
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from webtools import csrf_of, drain, export_data, import_data, task_of

from feedserver import feed_server
from syncbeat.cli import main
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.context import sqlite_file
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach
from syncbeat.store.db import read_tx
from syncbeat.store.profiles import get_profile

KEY = "key-that-signs-sessions-0123456789"
FEED = b"sku;title;net_price;stock\nP1;Product 1;2.00;5\n"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX files: /etc, /proc, FIFOs")


@pytest.fixture
def secret_key(ctx: Any) -> str:
    """The data folder's session key, as `serve` keeps it when SYNCBEAT_SECRET_KEY is unset."""
    (ctx.data_dir / "secret.key").write_text(KEY)
    return KEY


@pytest.fixture
def loopback(ctx: Any) -> Any:
    """The context with 127.0.0.1 allowed, as SYNCBEAT_ALLOWED_HOSTS=127.0.0.1 would."""
    ctx.reach = Reach.create(data_dir=ctx.data_dir, hosts=HostPolicy.parse("127.0.0.1"),
                             database=sqlite_file(ctx.db))
    return ctx


def source(location: str, **more: Any) -> dict[str, Any]:
    return import_data(source={"location": location, "format": "csv", "delimiter": ";", **more})


def _database_file(ctx: Any) -> str | None:
    return ctx.db.url.database if ctx.db.url.get_backend_name() == "sqlite" else None


def _refusals(ctx: Any) -> list[tuple[str, str]]:
    """(location, what the answer must never hold) for every location out of reach."""
    found = [
        ("/etc/passwd", "root:"), ("../../../../etc/passwd", "root:"),
        ("file:///etc/passwd", "root:"), ("/proc/self/environ", "refusal-probe-value"),
        ("secret.key", KEY), ("feeds/../secret.key", KEY), ("/dev/zero", "\\u0000"),
    ]
    database = _database_file(ctx)
    if database:
        found.append((database, "SQLite format 3"))
    return found


@posix_only
def test_the_api_preview_refuses_every_file_out_of_reach(api, ctx, secret_key, monkeypatch):
    monkeypatch.setenv("SYNCBEAT_REFUSAL_PROBE", "refusal-probe-value")
    for location, never in _refusals(ctx):
        answer = api.post("/api/profiles/preview", json=source(location))
        assert answer.status_code == 422, (location, answer.text[:300])
        body = answer.json()
        assert body["field"] == "source.location"
        assert body["message"].startswith(f"source.location: {location} is "), body
        assert never not in answer.text and "root:x:" not in answer.text


@posix_only
def test_the_api_preview_names_why(api, ctx, secret_key):
    def message(location: str) -> str:
        return str(api.post("/api/profiles/preview", json=source(location)).json()["message"])

    assert message("/etc/passwd") == (
        f"source.location: /etc/passwd is outside the data folder ({ctx.data_dir.resolve()}) "
        "and the folders allowed with SYNCBEAT_ALLOWED_PATHS")
    assert "where syncbeat keeps its own files" in message("secret.key")
    assert "is a file of the operating system" in message("/dev/zero")
    if _database_file(ctx):
        assert "is syncbeat's database" in message(_database_file(ctx) or "")


@posix_only
def test_a_fifo_or_a_link_to_a_device_is_refused_at_once(api, ctx):
    (ctx.data_dir / "feeds").mkdir()
    os.mkfifo(ctx.data_dir / "feeds" / "pipe.csv")
    (ctx.data_dir / "feeds" / "zero.csv").symlink_to("/dev/zero")
    answers: dict[str, Any] = {}

    def ask() -> None:
        for name in ("pipe.csv", "zero.csv"):
            answers[name] = api.post("/api/profiles/preview", json=source(f"feeds/{name}"))

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(10)
    assert not asking.is_alive(), "the preview of a FIFO blocked"
    assert answers["pipe.csv"].status_code == 422
    assert "is a FIFO (a named pipe), not a regular file" in answers["pipe.csv"].json()["message"]
    assert "is a file of the operating system" in answers["zero.csv"].json()["message"]


def test_the_preview_reads_only_the_first_bytes_of_a_big_source(api, ctx):
    (ctx.data_dir / "feeds").mkdir()
    huge = b"sku;title;net_price;stock\n" + b"P1;" + b"x" * (40 << 20) + b";1;1\n"
    (ctx.data_dir / "feeds" / "huge.csv").write_bytes(huge)
    del huge
    tracemalloc.start()
    try:
        answer = api.post("/api/profiles/preview", json=source("feeds/huge.csv"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 200
    assert answer.json()["rows"] == []
    assert answer.json()["error"].startswith("the first 1 MiB of the source hold no whole row")
    assert peak < 8 << 20, f"the preview took {peak >> 20} MiB"


def test_the_preview_of_a_feed_in_the_data_folder_still_works(api, ctx):
    (ctx.data_dir / "feeds").mkdir()
    (ctx.data_dir / "feeds" / "a.csv").write_bytes(FEED)
    answer = api.post("/api/profiles/preview", json=source("feeds/a.csv"))
    assert answer.status_code == 200 and answer.json()["rows"][0]["key"] == "P1"
    rows = "".join(f"P{i};Product {i};1.00;1\n" for i in range(200_000))  # 5 MB
    (ctx.data_dir / "feeds" / "big.csv").write_text("sku;title;net_price;stock\n" + rows)
    big = api.post("/api/profiles/preview", json=source("feeds/big.csv")).json()
    assert [row["key"] for row in big["rows"]] == [f"P{i}" for i in range(10)]


# -- saving is refused by every face ---------------------------------------------------------


@posix_only
def test_the_api_refuses_to_save_a_source_out_of_reach(api, ctx, secret_key):
    for location, _ in _refusals(ctx):
        made = api.post("/api/profiles", json=source(location))
        assert made.status_code == 422, (location, made.text)
        assert made.json()["field"] == "source.location"
    good = api.post("/api/profiles", json=source("feeds/a.csv")).json()
    replaced = api.put(f"/api/profiles/{good['id']}", json=source("/etc/passwd"))
    assert replaced.status_code == 422 and replaced.json()["field"] == "source.location"
    assert [p["source"]["location"] for p in api.get("/api/profiles").json()["profiles"]] == [
        "feeds/a.csv"]


@pytest.mark.parametrize("location", ["/tmp/x.json", "../../x.json", "../../../tmp/x/",
                                      "secret.key", "tasks/1/export.json", "syncbeat.db"])
def test_the_api_refuses_to_save_an_export_destination_out_of_reach(api, location):
    made = api.post("/api/profiles", json=export_data(destination={"location": location}))
    assert made.status_code == 422
    assert made.json()["field"] == "destination.location"
    assert made.json()["message"].startswith(f"destination.location: {location} is ")


def _post_form(web: Any, path: str, form: dict[str, Any], page: str) -> Any:
    token = csrf_of(web.get(page).text)
    return web.post(path, data={"csrf_token": token, **form}, follow_redirects=False)


def _import_form(location: str, **more: Any) -> dict[str, Any]:
    return {"kind": "import", "name": "Form", "source.location": location,
            "source.format": "csv", "source.delimiter": ";", "source.header": "on",
            "match.feed": "sku", "match.catalog": "reference", "map_catalog": ["price"],
            "map_feed": ["net_price"], **more}


@posix_only
def test_the_form_refuses_a_source_or_destination_out_of_reach(web):
    for action in ("save", "preview"):
        answer = _post_form(web, "/profiles/new", _import_form("/etc/passwd", action=action),
                            "/profiles/new")
        assert answer.status_code == 422
        found = re.search(r'data-error-for="source.location">([^<]+)<', answer.text)
        assert found and found.group(1).startswith("/etc/passwd is outside the data folder")
        assert "root:x:" not in answer.text
    export = {"kind": "export", "name": "Out", "destination.location": "../../x.json",
              "out_name": ["sku"], "out_catalog": ["reference"]}
    answer = _post_form(web, "/profiles/new?kind=export", export, "/profiles/new?kind=export")
    assert answer.status_code == 422
    found = re.search(r'data-error-for="destination.location">([^<]+)<', answer.text)
    assert found and "is outside the data folder" in found.group(1)


@pytest.fixture
def cli(db_url: str, ctx: Any) -> Any:
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            result = runner.invoke(main, ["--data-dir", str(ctx.data_dir),
                                          "--database-url", db_url, *args], env=env or {})
            gc.collect()
        return result

    return run


def _toml(tmp_path: Path, location: str, name: str = "CLI") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\nkind = "import"\n[source]\nlocation = "{location}"\n'
                    'format = "csv"\n[mapping]\nprice = "net_price"\n')
    return str(path)


@posix_only
def test_the_cli_refuses_a_source_out_of_reach_and_honours_allowed_paths(cli, tmp_path):
    added = cli("profile", "add", _toml(tmp_path, "/etc/passwd"))
    assert added.exit_code == 1
    assert ": source.location: /etc/passwd is outside the data folder" in added.output
    assert cli("profile", "add", _toml(tmp_path, "feeds/a.csv")).exit_code == 0
    edited = cli("profile", "edit", "CLI", "--set", "source.location='../../../etc/passwd'")
    assert edited.exit_code == 1 and "source.location: ../../../etc/passwd is outside" in (
        edited.output)
    srv = tmp_path / "srv-feeds"
    srv.mkdir()
    outside = _toml(tmp_path, str(srv / "b.csv"), name="Allowed")
    assert cli("profile", "add", outside).exit_code == 1
    allowed = cli("profile", "add", outside, env={"SYNCBEAT_ALLOWED_PATHS": str(srv)})
    assert allowed.exit_code == 0, allowed.output


def test_the_cli_says_a_bad_allowed_value_in_one_line(cli):
    result = cli("profile", "list", env={"SYNCBEAT_ALLOWED_HOSTS": "10.0.0.0/33"})
    assert result.exit_code == 2
    assert result.output.startswith("syncbeat: SYNCBEAT_ALLOWED_HOSTS: '10.0.0.0/33' is not")
    assert result.output.count("\n") == 1
    result = cli("profile", "list", env={"SYNCBEAT_ALLOWED_PATHS": "relative/feeds"})
    assert result.exit_code == 2 and result.output.count("\n") == 1


# -- the server's own network ----------------------------------------------------------------


def test_a_source_on_the_servers_own_network_is_refused_and_never_reached(api, ctx):
    with feed_server(FEED) as server:
        made = api.post("/api/profiles", json=source(server.url()))
        assert made.status_code == 422 and made.json()["field"] == "source.location"
        assert "loopback" in made.json()["message"]
        preview = api.post("/api/profiles/preview", json=source(server.url()))
        assert preview.status_code == 422
        assert "Product 1" not in preview.text
        assert server.requests == []


def test_an_allowed_host_is_saved_previewed_and_read(api, loopback):
    with feed_server(FEED) as server:
        made = api.post("/api/profiles", json=source(server.url()))
        assert made.status_code == 201 and made.json()["warning"] is None
        preview = api.post("/api/profiles/preview", json=source(server.url())).json()
        assert preview["rows"][0]["values"]["net_price"] == "2.00"
        assert len(server.requests) == 2  # the save's look at the feed, then the preview


# -- passwords in URLs -----------------------------------------------------------------------


def _stored_location(ctx: Any, profile_id: int) -> str:
    with read_tx(ctx.db) as conn:
        found = get_profile(conn, profile_id)
    assert found is not None and found.source is not None
    return found.source.location


def _saved_as_shown_then_run(api, web, loopback, pid, masked, url, secret):
    """The form sent back with the location as shown keeps the stored one; the task then
    reads the feed with it, and its log shows the location masked. The task's id."""
    saved = _post_form(web, f"/profiles/{pid}/edit",
                       _import_form(masked, name="Supplier A", action="save"),
                       f"/profiles/{pid}/edit")
    assert saved.status_code == 303
    assert _stored_location(loopback, pid) == url
    task_id = run_now(loopback, pid)
    drain(loopback)
    assert task_of(loopback, task_id).status is TaskStatus.COMPLETED
    log = api.get(f"/api/tasks/{task_id}/log").text
    assert f"started: read {masked} " in log and secret not in log
    return task_id


def test_a_password_is_never_shown_and_survives_the_round_trip(api, web, cli, loopback):
    with feed_server(FEED) as server:
        url = server.url(credentials="shop:s3cret")
        made = api.post("/api/profiles", json=source(url))
        assert made.status_code == 201
        pid = made.json()["id"]
        masked = server.url(credentials="shop:***")
        assert made.json()["source"]["location"] == masked
        shown = api.get(f"/api/profiles/{pid}").json()
        assert shown["source"]["location"] == masked
        assert "s3cret" not in api.get("/api/profiles").text
        assert "s3cret" not in web.get(f"/profiles/{pid}/edit").text
        assert masked in web.get(f"/profiles/{pid}/edit").text
        assert "s3cret" not in web.get(f"/profiles/{pid}/preview").text
        for args in (("profile", "show", str(pid)), ("profile", "show", str(pid), "--json"),
                     ("profile", "list", "--json")):
            result = cli(*args)
            assert result.exit_code == 0 and "s3cret" not in result.output
            assert "shop:***@127.0.0.1" in result.output
        # What the API showed, sent back as it is: the stored password stays.
        again = {k: v for k, v in shown.items()
                 if k not in ("id", "schedule_words", "next_runs", "last_task")}
        assert api.put(f"/api/profiles/{pid}", json=again).status_code == 200
        assert _stored_location(loopback, pid) == url
        # And through the form, which shows the password as *** too; the task reads the
        # feed with the real password.
        _saved_as_shown_then_run(api, web, loopback, pid, masked, url, "s3cret")
        sent = server.requests[-1].authorization or ""
        assert base64.b64decode(sent.removeprefix("Basic ")) == b"shop:s3cret"


def test_a_masked_password_on_another_host_or_a_new_profile_is_refused(api, loopback):
    with feed_server(FEED) as server:
        made = api.post("/api/profiles", json=source(server.url(credentials="shop:s3cret")))
        pid = made.json()["id"]
        moved = source(server.url(credentials="shop:***").replace("127.0.0.1", "localhost"))
        answer = api.put(f"/api/profiles/{pid}", json=moved)
        assert answer.status_code == 422 and "type the password again" in answer.text
        new = api.post("/api/profiles", json={**source(server.url(credentials="shop:***")),
                                              "name": "New"})
        assert new.status_code == 422 and new.json()["field"] == "source.location"


def test_a_task_message_never_shows_the_password(api, loopback):
    with feed_server(b"no", status=500) as server:
        made = api.post("/api/profiles", json=source(server.url(credentials="shop:s3cret")))
        task_id = run_now(loopback, made.json()["id"])
        drain(loopback)
        task = api.get(f"/api/tasks/{task_id}").json()
        assert task["status"] == "error"
        assert "shop:***@127.0.0.1" in task["message"] and "s3cret" not in task["message"]
        assert "s3cret" not in api.get(f"/api/tasks/{task_id}/log").text


# -- locations no parser takes ------------------------------------------------------------------

MALFORMED = [
    ("https://user:s3cret-pw@example.com:99999/feed.csv",
     "https://user:***@example.com:99999/feed.csv: the address is not valid (Port out of "
     "range 0-65535)"),
    ("https://user:s3cret-pw@[::1/feed.csv",
     "https://user:***@[::1/feed.csv: the address is not valid (Invalid IPv6 URL)"),
    ("http://[::1", "http://[::1: the address is not valid (Invalid IPv6 URL)"),
    ("feeds/a\x00b.csv", "'feeds/a\\x00b.csv' holds a NUL character, which no file name can"),
    ("feeds/" + "x" * 300 + ".csv",
     f"feeds/{'x' * 74}... is too long for a file name: at most 255 bytes a name and 4096 "
     "in all"),
]


@pytest.mark.parametrize(("location", "said"), MALFORMED)
def test_a_malformed_location_is_a_named_error_on_save_and_preview(api, location, said):
    for path in ("/api/profiles", "/api/profiles/preview"):
        answer = api.post(path, json=source(location))
        assert answer.status_code == 422, (path, answer.text[:300])
        assert answer.json()["field"] == "source.location"
        assert answer.json()["message"] == f"source.location: {said}"
        assert "s3cret-pw" not in answer.text
    export = api.post("/api/profiles", json=export_data(destination={"location": location}))
    assert export.status_code == 422 and export.json()["field"] == "destination.location"
    assert "s3cret-pw" not in export.text


def test_the_cli_refuses_a_malformed_location_in_one_line(cli, tmp_path):
    added = cli("profile", "add", _toml(tmp_path, "https://u:s3cret-pw@[::1/feed.csv"))
    assert added.exit_code == 1
    assert "source.location: https://u:***@[::1/feed.csv: the address is not valid" in (
        added.output)
    assert "Traceback" not in added.output and "s3cret-pw" not in added.output


def test_a_day_past_the_calendar_is_a_named_bad_parameter(api):
    answer = api.get("/api/tasks?until=9999-12-31")
    assert answer.status_code == 400
    assert answer.json()["message"] == (
        "until: '9999-12-31' is past the last day syncbeat can count (9999-12-30)")
    assert api.get("/api/tasks?until=9999-12-30").status_code == 200


def test_a_key_in_the_query_is_never_shown_and_survives_the_round_trip(api, web, cli,
                                                                       loopback):
    with feed_server(FEED) as server:
        url = server.url("/feed.csv?apikey=QUERYKEY7&format=csv")
        made = api.post("/api/profiles", json=source(url))
        assert made.status_code == 201, made.text
        pid = made.json()["id"]
        masked = server.url("/feed.csv?apikey=***&format=csv")
        assert made.json()["source"]["location"] == masked
        assert "QUERYKEY7" not in web.get(f"/profiles/{pid}/edit").text
        for args in (("profile", "show", str(pid)), ("profile", "show", str(pid), "--json")):
            result = cli(*args)
            assert result.exit_code == 0 and "QUERYKEY7" not in result.output
            assert "apikey=***&format=csv" in result.output
        # Sent back as shown, through the form: the stored key stays, and the task sends it.
        _saved_as_shown_then_run(api, web, loopback, pid, masked, url, "QUERYKEY7")
        assert server.requests[-1].path == "/feed.csv?apikey=QUERYKEY7&format=csv"
