"""http(s) headers, method and content type (issue 11): a source sends `[source] headers`, an
export is sent with `[destination] headers`, `method` and `content_type`, to a real HTTP
server on 127.0.0.1 that refuses a request without the headers it wants. A credential
written straight into a header is shown as *** and survives the round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from webtools import add_products, csrf_of, drain, export_data, import_data

from feedserver import header_server
from syncbeat.engine.actions import run_now
from syncbeat.engine.context import sqlite_file
from syncbeat.engine.secrets import set_secret
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach

FEED = b"sku;title;net_price;stock\nP1;Product 1;7.25;5\n"
API_KEY = "acme-key-0123456789"
TOKEN = "app-token-9876543210"


@pytest.fixture
def loopback(ctx: Any) -> Any:
    ctx.reach = Reach.create(data_dir=ctx.data_dir, hosts=HostPolicy.parse("127.0.0.1"),
                             database=sqlite_file(ctx.db))
    add_products(ctx, 2)
    return ctx


def source(location: str, headers: dict[str, str]) -> dict[str, Any]:
    return import_data(source={"location": location, "format": "csv", "delimiter": ";",
                               "headers": headers})


def run(api: Any, ctx: Any, profile_id: int) -> dict[str, Any]:
    task_id = run_now(ctx, profile_id)
    drain(ctx)
    return dict(api.get(f"/api/tasks/{task_id}").json())


def test_a_source_sends_its_headers_with_the_secret_filled_in(api, loopback):
    set_secret(loopback, "acme_key", API_KEY)
    with header_server({"X-Api-Key": API_KEY, "Accept": "text/csv"}, FEED) as server:
        made = api.post("/api/profiles", json=source(
            server.url(), {"X-Api-Key": "{secret:acme_key}", "Accept": "text/csv"}))
        assert made.status_code == 201, made.text
        assert made.json()["warning"] is None  # the preview got through too
        assert made.json()["source"]["headers"] == {"X-Api-Key": "{secret:acme_key}",
                                                    "Accept": "text/csv"}
        task = run(api, loopback, made.json()["id"])
        assert task["status"] == "completed", task["message"]
        assert api.get("/api/products/P1").json()["product"]["price"] == "7.25"
        assert server.seen[-1]["headers"]["X-Api-Key"] == API_KEY  # type: ignore[index]
        # The supplier changes its key: the server refuses, and says so without the key.
        set_secret(loopback, "acme_key", "an-old-key-value")
        refused = run(api, loopback, made.json()["id"])
    assert refused["status"] == "error"
    assert refused["message"].startswith("the server answered 403 Forbidden for ")
    log = api.get(f"/api/tasks/{refused['id']}/log").text
    for text in (json.dumps(task), json.dumps(refused), log, made.text):
        assert API_KEY not in text and "an-old-key-value" not in text


def test_an_export_is_put_with_its_headers_and_content_type(api, loopback):
    set_secret(loopback, "app_token", TOKEN)
    with header_server({"Authorization": f"Bearer {TOKEN}"}) as server:
        made = api.post("/api/profiles", json=export_data(destination={
            "location": server.url("/import"), "method": "put",
            "content_type": "application/vnd.shop+json",
            "headers": {"Authorization": "Bearer {secret:app_token}", "X-Shop": "main"}}))
        assert made.status_code == 201, made.text
        assert made.json()["destination"]["method"] == "PUT"
        task = run(api, loopback, made.json()["id"])
        assert task["status"] == "completed", task["message"]
        sent = server.seen[-1]
        headers = sent["headers"]
        assert sent["method"] == "PUT" and sent["path"] == "/import"
        assert headers["Content-Type"] == "application/vnd.shop+json"  # type: ignore[index]
        assert headers["X-Shop"] == "main"  # type: ignore[index]
        assert json.loads(sent["body"])["count"] == 2  # type: ignore[arg-type]
        assert TOKEN not in api.get(f"/api/tasks/{task['id']}/log").text


def test_without_the_header_the_server_refuses_and_the_export_fails_in_words(api, loopback):
    with header_server({"Authorization": "Bearer x"}) as server:
        made = api.post("/api/profiles", json=export_data(
            destination={"location": server.url("/import")}))
        task = run(api, loopback, made.json()["id"])
    assert task["status"] == "error"
    assert task["message"] == (
        f"the export file was written but not delivered: sending the export to "
        f"{server.url('/import')} failed: the server answered 401 Unauthorized: refused")


def test_a_credential_written_into_a_header_is_masked_and_kept(api, web, loopback):
    with header_server({"X-Api-Key": API_KEY}, FEED) as server:
        made = api.post("/api/profiles", json=source(server.url(), {"X-Api-Key": API_KEY,
                                                                    "Accept": "text/csv"}))
        assert made.status_code == 201, made.text
        pid = made.json()["id"]
        shown = api.get(f"/api/profiles/{pid}").json()
        assert shown["source"]["headers"] == {"X-Api-Key": "***", "Accept": "text/csv"}
        page = web.get(f"/profiles/{pid}/edit").text
        assert "X-Api-Key: ***" in page
        assert API_KEY not in page and API_KEY not in api.get("/api/profiles").text
        # Sent back as shown, by the API and by the form: the stored key stays.
        again = {k: v for k, v in shown.items()
                 if k not in ("id", "schedule_words", "next_runs", "last_task")}
        assert api.put(f"/api/profiles/{pid}", json=again).status_code == 200
        form = {"csrf_token": csrf_of(page), "action": "save", "kind": "import",
                "name": "Supplier A", "enabled": "on", "source.location": server.url(),
                "source.format": "csv", "source.delimiter": ";", "source.header": "on",
                "source.headers": "X-Api-Key: ***\nAccept: text/csv",
                "match.feed": "sku", "match.catalog": "reference",
                "map_catalog": "price", "map_feed": "net_price"}
        saved = web.post(f"/profiles/{pid}/edit", data=form, follow_redirects=False)
        assert saved.status_code == 303, saved.text[:2000]
        task = run(api, loopback, pid)
        assert task["status"] == "completed", task["message"]
        assert server.seen[-1]["headers"]["X-Api-Key"] == API_KEY  # type: ignore[index]
        new = api.post("/api/profiles", json={**source(server.url(), {"X-Api-Key": "***"}),
                                              "name": "New"})
        assert new.status_code == 422
        assert new.json()["errors"] == [{"field": "source.headers.X-Api-Key",
                                         "message": "is hidden as ***: type its value again"}]


@pytest.mark.parametrize(("data", "field", "message"), [
    (source("feeds/a.csv", {"X-Api-Key": "k"}), "source.headers",
     "are sent to http(s) locations only"),
    (source("https://feeds.example.com/a.csv", {"Host": "evil.example"}),
     "source.headers.Host", "is set by syncbeat itself"),
    (source("https://feeds.example.com/a.csv", {"Bad Name": "v"}),
     "source.headers.Bad Name", "is not a header name (letters, digits and - as in X-Api-Key)"),
    (export_data(destination={"location": "https://app.example.com/in", "method": "GET"}),
     "destination.method", "'GET' is not one of POST, PUT"),
    (export_data(destination={"location": "exports/", "method": "PUT"}),
     "destination.method", "applies to http(s) destinations only"),
    (export_data(destination={"location": "https://app.example.com/in",
                              "headers": {"Content-Type": "text/csv"}}),
     "destination.headers.Content-Type", "is set with destination.content_type"),
    (export_data(destination={"location": "https://app.example.com/in",
                              "content_type": "not a type"}),
     "destination.content_type", "'not a type' is not a content type (like application/json "
                                 "or text/csv; charset=utf-8)"),
])
def test_a_wrong_header_method_or_content_type_is_refused_naming_it(api, data, field, message):
    answer = api.post("/api/profiles", json=data)
    assert answer.status_code == 422
    assert {"field": field, "message": message} in answer.json()["errors"]


def test_the_export_form_shows_and_saves_method_content_type_and_headers(api, web, loopback):
    made = api.post("/api/profiles", json=export_data(destination={
        "location": "https://app.example.com/in", "method": "PUT",
        "content_type": "text/csv; charset=utf-8",
        "headers": {"Authorization": "Bearer {secret:app_token}"}}))
    pid = made.json()["id"]
    page = web.get(f"/profiles/{pid}/edit").text
    assert "<option selected>PUT</option>" in page
    assert 'value="text/csv; charset=utf-8"' in page
    assert "Authorization: Bearer {secret:app_token}" in page
    form = {"csrf_token": csrf_of(page), "action": "save", "kind": "export",
            "name": "To the app", "enabled": "on", "out_name": "sku", "out_catalog": "reference",
            "destination.location": "https://app.example.com/in", "destination.method": "POST",
            "destination.content_type": "",
            "destination.headers": "Authorization: Bearer {secret:app_token}\nX-Shop: main"}
    saved = web.post(f"/profiles/{pid}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:2000]
    assert "secret &#39;app_token&#39;, which is not set" in web.get("/profiles").text
    shown = api.get(f"/api/profiles/{pid}").json()["destination"]
    assert shown == {"location": "https://app.example.com/in",
                     "headers": {"Authorization": "Bearer {secret:app_token}", "X-Shop": "main"}}
