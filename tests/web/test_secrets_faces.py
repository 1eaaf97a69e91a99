"""Secrets (issue 11): set by the CLI, the Configure tab and the API, stored encrypted, named
as {secret:NAME} in a source or destination URL and filled in only when a task connects to a
real server on 127.0.0.1. Their values never show: not in a log, a task message, a profile
shown, an API answer, a page or an error."""

from __future__ import annotations

import base64
import gc
import json
import logging
import stat
import warnings
from typing import Any
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from webtools import csrf_of, drain, export_data, import_data, task_of

from feedserver import feed_server
from syncbeat.cli import main
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.context import sqlite_file
from syncbeat.engine.secrets import set_secret
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach
from syncbeat.store.db import read_tx
from syncbeat.store.tables import secrets
from syncbeat.store.vault import KEY_FILE

FEED = b"sku;title;net_price;stock\nP1;Product 1;2.00;5\n"
KEY_VALUE = "k3y/VALUE with spaces&=:@"  # characters a URL must carry percent-encoded
PASSWORD = "p@ss:w/rd-Secret"
USER = "shop-user"


@pytest.fixture
def loopback(ctx: Any) -> Any:
    """The context with 127.0.0.1 allowed, as SYNCBEAT_ALLOWED_HOSTS=127.0.0.1 would."""
    ctx.reach = Reach.create(data_dir=ctx.data_dir, hosts=HostPolicy.parse("127.0.0.1"),
                             database=sqlite_file(ctx.db))
    return ctx


@pytest.fixture
def cli(db_url: str, ctx: Any) -> Any:
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            result = runner.invoke(main, ["--data-dir", str(ctx.data_dir),
                                          "--database-url", db_url, *args],
                                   input=stdin, env=env or {})
            gc.collect()
        return result

    return run


def never_shown(*texts: str) -> None:
    for text in texts:
        for value in (KEY_VALUE, PASSWORD, USER, "k3y", "p@ss"):
            assert value not in text, (value, text[:500])


def source(location: str) -> dict[str, Any]:
    return import_data(source={"location": location, "format": "csv", "delimiter": ";"})


def secret_url(server: Any) -> str:
    return (f"http://{{secret:shop_user}}:{{secret:shop_password}}@127.0.0.1:{server.port}"
            "/feed.csv?key={secret:acme_key}")


def run(ctx: Any, profile_id: int) -> Any:
    task_id = run_now(ctx, profile_id)
    drain(ctx)
    return task_of(ctx, task_id)


def set_all(ctx: Any) -> None:
    set_secret(ctx, "acme_key", KEY_VALUE)
    set_secret(ctx, "shop_password", PASSWORD)
    set_secret(ctx, "shop_user", USER)


def test_the_cli_sets_lists_and_deletes_secrets_read_from_stdin(cli, ctx):
    made = cli("secret", "set", "acme_key", stdin=KEY_VALUE + "\n")
    assert made.exit_code == 0, made.output
    assert made.output == "secret 'acme_key' set; profiles name it as {secret:acme_key}\n"
    assert cli("secret", "set", "acme_key", stdin="other\n").output.startswith(
        "secret 'acme_key' changed")
    listed = cli("secret", "list")
    assert listed.exit_code == 0 and listed.output.startswith("acme_key  (changed ")
    as_json = json.loads(cli("secret", "list", "--json").output)
    assert [s["name"] for s in as_json["secrets"]] == ["acme_key"]
    never_shown(made.output, listed.output)
    bad = cli("secret", "set", "no spaces please", stdin="x")
    assert bad.exit_code == 1 and "is not a secret name" in bad.output
    empty = cli("secret", "set", "blank", stdin="\n")
    assert empty.exit_code == 1 and "the value is empty" in empty.output
    assert cli("secret", "delete", "acme_key").output == "secret 'acme_key' deleted\n"
    gone = cli("secret", "delete", "acme_key")
    assert gone.exit_code == 1 and "no secret 'acme_key'" in gone.output
    assert cli("secret", "list").output == "(no secret)\n"


def test_a_secret_is_stored_encrypted_with_a_private_key_file(cli, ctx):
    assert cli("secret", "set", "acme_key", stdin=KEY_VALUE).exit_code == 0
    key = ctx.data_dir / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    with read_tx(ctx.db) as conn:
        stored = conn.execute(sa.select(secrets.c.ciphertext)).scalar_one()
    assert KEY_VALUE not in stored and "VALUE" not in base64.urlsafe_b64decode(stored).decode(
        "latin-1")
    # No profile can read the key file as a feed.
    for location in (KEY_FILE, f"feeds/../{KEY_FILE}", str(key)):
        refused = cli("profile", "add", _toml(ctx, location))
        assert refused.exit_code == 1 and "is at the top of the data folder" in refused.output


def test_with_syncbeat_secret_key_no_key_file_is_made_and_only_that_key_decrypts(
        cli, ctx, loopback):
    env = {"SYNCBEAT_SECRET_KEY": "an installation key of 32 characters or more"}
    assert cli("secret", "set", "acme_key", stdin=KEY_VALUE, env=env).exit_code == 0
    assert not (ctx.data_dir / KEY_FILE).exists()
    bad = cli("secret", "set", "x", stdin="v", env={"SYNCBEAT_SECRET_KEY": "short"})
    assert bad.exit_code == 1 and "SYNCBEAT_SECRET_KEY is too short to encrypt" in bad.output
    with feed_server(FEED) as server:
        made = cli("profile", "add", _toml(ctx, f"http://127.0.0.1:{server.port}/f.csv"
                                                "?key={secret:acme_key}"),
                   env={**env, "SYNCBEAT_ALLOWED_HOSTS": "127.0.0.1"})
        assert made.exit_code == 0 and "warning" not in made.output, made.output
        # Without the key, no key file either: the task says so and connects nowhere.
        server.requests.clear()
        missing = run(loopback, 1)
        assert missing.status is TaskStatus.ERROR
        assert missing.message == (f"the key file {ctx.data_dir / KEY_FILE} is missing, so no "
                                   "secret can be decrypted: restore it, or set the secrets "
                                   "again")
        loopback.secret_key = "another installation key of 32 characters"
        wrong = run(loopback, 1)
        assert wrong.message == ("the secret 'acme_key' cannot be decrypted with the key of "
                                 "SYNCBEAT_SECRET_KEY (was the key changed?): set the secret "
                                 "again")
        assert server.requests == []
        loopback.secret_key = env["SYNCBEAT_SECRET_KEY"]
        right = run(loopback, 1)
        assert right.status is TaskStatus.COMPLETED, right.message
        assert unquote(server.requests[0].path.partition("key=")[2]) == KEY_VALUE


def _toml(ctx: Any, location: str, name: str = "CLI") -> str:
    path = ctx.data_dir.parent / f"{name}.toml"
    path.write_text(f'name = "{name}"\nkind = "import"\n[source]\nlocation = "{location}"\n'
                    'format = "csv"\ndelimiter = ";"\n[match]\nfeed = "sku"\n'
                    '[mapping]\nprice = "net_price"\n')
    return str(path)


def test_the_api_sets_lists_and_deletes_without_ever_answering_a_value(api):
    put = api.put("/api/secrets/acme_key", json={"value": KEY_VALUE})
    assert put.status_code == 200 and put.json() == {"name": "acme_key", "created": True}
    again = api.put("/api/secrets/acme_key", json={"value": KEY_VALUE + "2"})
    assert again.json() == {"name": "acme_key", "created": False}
    listed = api.get("/api/secrets")
    assert [s["name"] for s in listed.json()["secrets"]] == ["acme_key"]
    refused = api.put("/api/secrets/bad name", json={"value": KEY_VALUE})
    assert refused.status_code == 422 and refused.json()["field"] == "name"
    broken = api.put("/api/secrets/line", json={"value": KEY_VALUE + "\nmore"})
    assert broken.status_code == 422 and "line break" in broken.json()["message"]
    never_shown(put.text, again.text, listed.text, refused.text, broken.text)
    assert api.delete("/api/secrets/acme_key").status_code == 204
    assert api.delete("/api/secrets/acme_key").status_code == 404
    assert api.get("/api/secrets").json() == {"secrets": []}


def test_a_read_token_cannot_set_a_secret(app, ctx, admin):
    from fastapi.testclient import TestClient

    from syncbeat.engine.tokens import issue_token

    _, token = issue_token(ctx.db, name="reader", scope="api:read", by="admin",
                           now=ctx.clock())
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as reader:
        answer = reader.put("/api/secrets/acme_key", json={"value": KEY_VALUE})
        assert answer.status_code == 403
        assert reader.get("/api/secrets").status_code == 200


def test_the_configure_tab_sets_a_secret_and_never_shows_it_again(web, ctx):
    page = web.get("/configure")
    assert 'id="secrets"' in page.text and "No secret yet." in page.text
    sent = web.post("/configure/secrets", data={"csrf_token": csrf_of(page.text),
                                                "name": "acme_key", "value": KEY_VALUE},
                    follow_redirects=False)
    assert sent.status_code == 303
    shown = web.get("/configure")
    assert "{secret:acme_key}" in shown.text and "secret &#39;acme_key&#39; set" in shown.text
    refused = web.post("/configure/secrets", data={"csrf_token": csrf_of(shown.text),
                                                   "name": "bad name", "value": PASSWORD})
    assert refused.status_code == 422 and "is not a secret name" in refused.text
    never_shown(sent.text, shown.text, refused.text)
    deleted = web.post("/configure/secrets/acme_key/delete",
                       data={"csrf_token": csrf_of(shown.text)})
    assert deleted.status_code == 200 and "secret &#39;acme_key&#39; deleted" in deleted.text
    assert "No secret yet." in deleted.text


def test_an_import_fills_its_secrets_in_only_when_it_connects(api, web, cli, loopback,
                                                               caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level: none may carry a value
    set_all(loopback)
    with feed_server(FEED) as server:
        url = secret_url(server)
        made = api.post("/api/profiles", json=source(url))
        assert made.status_code == 201 and made.json()["warning"] is None
        pid = made.json()["id"]
        assert made.json()["source"]["location"] == url  # the names, as written
        shown = [api.get(f"/api/profiles/{pid}").text, api.get("/api/profiles").text,
                 web.get(f"/profiles/{pid}/edit").text, web.get(f"/profiles/{pid}/preview").text]
        assert server.requests, "the preview reads the feed"
        for args in (("profile", "show", str(pid)), ("profile", "show", str(pid), "--json")):
            result = cli(*args)
            assert result.exit_code == 0 and "{secret:acme_key}" in result.output
            shown.append(result.output)
        server.requests.clear()
        task_id = run_now(loopback, pid)
        drain(loopback)
        task = api.get(f"/api/tasks/{task_id}").json()
        assert task["status"] == "completed", task["message"]
        request = server.requests[0]
        assert unquote(request.path.partition("key=")[2]) == KEY_VALUE
        sent = base64.b64decode((request.authorization or "").removeprefix("Basic "))
        assert sent.decode() == f"{USER}:{PASSWORD}"
        log = api.get(f"/api/tasks/{task_id}/log").text
        assert "started: read http://{secret:shop_user}:{secret:shop_password}@" in log
        shown += [log, json.dumps(task), web.get(f"/tasks/{task_id}").text]
        assert caplog.records, "the libraries said nothing at all: the check would be empty"
        never_shown(*shown, caplog.text)


def test_a_failing_connection_never_shows_a_secret(api, loopback):
    set_all(loopback)
    with feed_server(b"no", status=500) as server:
        url = secret_url(server)
        made = api.post("/api/profiles", json=source(url))
        assert "500" in made.json()["warning"]  # the preview met the same answer
        task_id = run_now(loopback, made.json()["id"])
        drain(loopback)
        task = api.get(f"/api/tasks/{task_id}").json()
    assert task["status"] == "error"
    assert task["message"].startswith("the server answered 500")
    assert "{secret:acme_key}" in task["message"]
    # Nobody listens on the port any more: the connection itself fails.
    task_id = run_now(loopback, made.json()["id"])
    drain(loopback)
    gone = api.get(f"/api/tasks/{task_id}").json()
    assert gone["status"] == "error" and "refused" in gone["message"]
    never_shown(json.dumps(task), json.dumps(gone), made.text,
                api.get(f"/api/tasks/{task_id}/log").text)


def test_a_secret_in_the_host_is_masked_in_the_refusal_of_the_guard(api, ctx):
    # 127.0.0.1 is not allowed here: the guard refuses, and its words never show the value.
    set_secret(ctx, "host", "127.0.0.1")
    made = api.post("/api/profiles", json=source("http://{secret:host}:9/feed.csv"))
    task_id = run_now(ctx, made.json()["id"])
    drain(ctx)
    task = api.get(f"/api/tasks/{task_id}").json()
    assert task["status"] == "error" and "server's own network" in task["message"]
    assert "127.0.0.1" not in task["message"] and "***" in task["message"]


def test_a_missing_secret_warns_at_save_and_fails_the_task_at_start(api, cli, ctx, loopback):
    with feed_server(FEED) as server:
        url = f"http://127.0.0.1:{server.port}/feed.csv?key={{secret:acme_key}}"
        made = api.post("/api/profiles", json=source(url))
        assert made.status_code == 201
        words = ("source.location names the secret 'acme_key', which is not set: set it "
                 "with `syncbeat secret set acme_key` or in the Secrets section of the "
                 "Configure tab")
        assert made.json()["warning"] == words
        added = cli("profile", "add", _toml(ctx, url, "From the CLI"),
                    env={"SYNCBEAT_ALLOWED_HOSTS": "127.0.0.1"})
        assert added.exit_code == 0 and words in added.output
        task_id = run_now(loopback, made.json()["id"])
        drain(loopback)
        task = task_of(loopback, task_id)
        assert task.status is TaskStatus.ERROR and task.message == words
        assert server.requests == []


def test_an_export_is_sent_with_its_secrets_and_not_run_without_them(api, loopback):
    with feed_server(b"ok") as server:
        url = f"http://{{secret:shop_user}}:{{secret:shop_password}}@127.0.0.1:{server.port}/in"
        made = api.post("/api/profiles", json=export_data(destination={"location": url}))
        assert made.status_code == 201
        assert "destination.location names the secret 'shop_user'" in made.json()["warning"]
        early = run_now(loopback, made.json()["id"])
        drain(loopback)
        assert task_of(loopback, early).status is TaskStatus.ERROR
        assert task_of(loopback, early).progress.total == 0  # nothing exported
        set_all(loopback)
        task_id = run_now(loopback, made.json()["id"])
        drain(loopback)
        task = api.get(f"/api/tasks/{task_id}").json()
        assert task["status"] == "completed", task["message"]
        sent = base64.b64decode((server.requests[-1].authorization or "")
                                .removeprefix("Basic ")).decode()
        assert sent == f"{USER}:{PASSWORD}"
        assert json.loads(server.requests[-1].body)["count"] == 0
        never_shown(json.dumps(task), api.get(f"/api/tasks/{task_id}/log").text,
                    api.get(f"/api/profiles/{made.json()['id']}").text)
