"""Who may call what: every API route but /api/health needs a token or a session; a session
needs its CSRF header to change anything; tokens are scoped (api:read, api:write, heartbeat),
and only people signed in make and revoke them."""

from __future__ import annotations

import os
import re
import socket

import pytest
from webtools import TestClient, csrf_header

from syncbeat.engine.tokens import issue_token


def _api_routes(app):
    for path, item in app.openapi()["paths"].items():
        for method in item:
            yield method.upper(), re.sub(r"\{[^}]+\}", "1", path)


def test_every_api_route_but_health_needs_a_token_or_a_session(app, anon):
    routes = [*list(_api_routes(app)), ("GET", "/api/openapi.json")]
    assert len(routes) > 20
    for method, path in routes:
        response = anon.request(method, path, json={} if method in ("POST", "PUT", "PATCH")
                                else None)
        if path == "/api/health":
            assert response.status_code == 503  # no heartbeat has run yet
            continue
        if (method, path) == ("GET", "/api/heartbeat"):  # only a token, never a session
            assert response.status_code == 401
            continue
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["message"].startswith("sign in, or send an API token")


def test_a_wrong_or_revoked_token_is_refused(api, web, anon, token):
    assert anon.get("/api/tasks", headers={"Authorization": "Bearer sb_nope"}).status_code == 401
    tokens = api.get("/api/tokens").json()["tokens"]
    assert [t["name"] for t in tokens] == ["tests"]
    assert "secret" not in tokens[0] and token not in str(tokens)
    assert web.delete(f"/api/tokens/{tokens[0]['id']}", headers=csrf_header(web)
                      ).status_code == 204
    refused = api.get("/api/tasks")
    assert refused.status_code == 401
    assert refused.json()["message"] == ("the API token is not valid: it was revoked or is "
                                         "mistyped")


def test_a_heartbeat_token_may_only_tick(ctx, anon):
    _, secret = issue_token(ctx.db, name="cron", scope="heartbeat", by=None, now=ctx.clock())
    bearer = {"Authorization": f"Bearer {secret}"}
    refused = anon.get("/api/tasks", headers=bearer)
    assert refused.status_code == 403
    assert refused.json()["message"] == ("the token 'cron' has the scope heartbeat: this call "
                                         "needs the scope api:read (or api:write)")
    assert anon.get("/api/settings", headers=bearer).status_code == 403
    assert anon.patch("/api/settings", headers=bearer, json={}).status_code == 403
    assert anon.post("/api/heartbeat", headers=bearer).status_code == 200
    # a host that cannot set a header puts the token in the URL
    by_url = anon.post(f"/api/heartbeat?token={secret}")
    assert by_url.status_code == 200 and "lines" in by_url.json()
    assert anon.post("/api/heartbeat?token=sb_wrong").status_code == 401
    assert anon.post("/api/heartbeat").status_code == 401


def test_tokens_are_made_and_shown_once_through_the_api_by_a_signed_in_user(web):
    csrf = csrf_header(web)
    made = web.post("/api/tokens", json={"name": "shop cron", "scope": "heartbeat"},
                    headers=csrf)
    assert made.status_code == 201
    body = made.json()
    assert body["secret"].startswith("sb_") and body["token"]["prefix"] == body["secret"][:10]
    assert body["token"]["created_by"] == "admin"
    listed = web.get("/api/tokens").json()["tokens"]
    assert body["secret"] not in str(listed)
    bad = web.post("/api/tokens", json={"name": "x", "scope": "api"}, headers=csrf)
    assert bad.status_code == 422 and bad.json()["field"] == "scope"
    assert "api:read, api:write, heartbeat" in bad.json()["message"]
    assert web.post("/api/tokens", json={"name": ""}, headers=csrf).status_code == 400
    assert web.delete("/api/tokens/999", headers=csrf).status_code == 404
    # without the session's CSRF header, a session makes no token
    assert web.post("/api/tokens", json={"name": "x"}).status_code == 403
    default = web.post("/api/tokens", json={"name": "reader"}, headers=csrf).json()
    assert default["token"]["scope"] == "api:read"  # the least a token can do


def test_a_token_cannot_make_or_revoke_a_token(ctx, api, anon):
    _, heartbeat = issue_token(ctx.db, name="cron", scope="heartbeat", by=None, now=ctx.clock())
    refused = api.post("/api/tokens", json={"name": "successor", "scope": "api:write"})
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("API tokens are made and revoked by a "
                                                "signed-in user")
    token_id = api.get("/api/tokens").json()["tokens"][0]["id"]
    assert api.delete(f"/api/tokens/{token_id}").status_code == 403
    assert anon.post("/api/tokens", json={"name": "x"},
                     headers={"Authorization": f"Bearer {heartbeat}"}).status_code == 403
    assert [t["name"] for t in api.get("/api/tokens").json()["tokens"]] == ["cron", "tests"]


def test_an_api_read_token_reads_but_changes_nothing(ctx, anon, shop):
    _, secret = issue_token(ctx.db, name="dashboard", scope="api:read", by=None,
                            now=ctx.clock())
    bearer = {"Authorization": f"Bearer {secret}"}
    for path in ("/api/tasks", "/api/profiles", f"/api/profiles/{shop['import'].id}",
                 "/api/settings", "/api/tokens", "/api/products"):
        assert anon.get(path, headers=bearer).status_code == 200, path
    refused = anon.post(f"/api/profiles/{shop['import'].id}/run", headers=bearer)
    assert refused.status_code == 403
    assert refused.json()["message"] == ("the token 'dashboard' has the scope api:read: this "
                                         "call needs the scope api:write")
    assert anon.patch("/api/settings", headers=bearer,
                      json={"retention_days": 60}).status_code == 403
    assert anon.get("/api/settings", headers=bearer).json()["retention_days"] == 30
    assert anon.post("/api/heartbeat", headers=bearer).status_code == 403
    assert anon.get("/api/tasks", headers=bearer).json()["tasks"] == []


def test_an_api_write_token_reads_changes_and_ticks(anon, token, shop):
    bearer = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/tasks", headers=bearer).status_code == 200
    assert anon.post(f"/api/profiles/{shop['import'].id}/run",
                     headers=bearer).status_code == 201
    assert anon.post("/api/heartbeat", headers=bearer).status_code == 200


def test_the_pages_session_reads_the_api_but_changes_need_the_csrf_header(web, shop):
    assert web.get("/api/tasks").status_code == 200
    refused = web.post(f"/api/profiles/{shop['import'].id}/run")
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["message"]
    csrf = re.search(r'data-csrf="([^"]+)"', web.get("/tasks").text).group(1)
    done = web.post(f"/api/profiles/{shop['import'].id}/run", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201


def test_health_needs_no_sign_in_and_tells_the_heartbeat(anon, api):
    first = api.get("/api/health").json()  # 503 (test_health_monitoring.py)
    assert first["status"] == "no heartbeat" and first["database"] == "ok"
    assert first["last_heartbeat"] is None and first["heartbeat_ok"] is False
    assert anon.get("/api/health").json() == {"status": "no heartbeat", "database": "ok",
                                              "heartbeat_ok": False}
    api.post("/api/heartbeat")
    after = api.get("/api/health").json()
    assert after["status"] == "ok" and after["heartbeat_ok"] is True
    assert after["last_heartbeat"] is not None
    assert f":{os.getpid()}:" in after["worker"] and "version" in after


def test_health_tells_a_visitor_ok_or_not_but_not_the_host_or_the_process(anon, api, web):
    api.post("/api/heartbeat")
    response = anon.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "heartbeat_ok": True}
    assert socket.gethostname() not in response.text and str(os.getpid()) not in response.text
    # a wrong token is a visitor here, not an error: a monitor keeps working
    wrong = anon.get("/api/health", headers={"Authorization": "Bearer sb_nope"})
    assert wrong.status_code == 200 and "worker" not in wrong.json()
    # people signed in see it all
    assert str(os.getpid()) in web.get("/api/health").json()["worker"]


def test_health_says_when_the_database_is_unreachable(ctx, app, token, monkeypatch):
    import sqlalchemy as sa

    from syncbeat.web import health

    def down(_conn):
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(health, "last_heartbeat", down)
    with TestClient(app) as client:
        response = client.get("/api/health")
        assert response.status_code == 503
        assert response.json() == {"status": "down", "database": "unreachable"}
        told = client.get("/api/health", headers={"Authorization": f"Bearer {token}"})
    assert told.status_code == 503
    assert told.json()["database"] == "unreachable: connection refused"


def test_the_openapi_description_and_its_page_need_sign_in(api, web, anon):
    spec = api.get("/api/openapi.json").json()
    assert spec["info"]["title"] == "syncbeat"
    assert "/api/tasks/{task_id}/kill" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    page = web.get("/api/docs")
    assert page.status_code == 200 and "/api/tasks/{task_id}/report" in page.text
    assert anon.get("/api/docs", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/tasks", "/tasks/1", "/profiles", "/profiles/new",
                                  "/profiles/1/edit", "/configure", "/catalog", "/catalog/P1",
                                  "/tasks/1/report", "/tasks/1/log", "/api/docs"])
def test_every_page_sends_a_visitor_to_sign_in(anon, path):
    response = anon.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
