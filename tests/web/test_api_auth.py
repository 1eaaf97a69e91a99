"""Who may call what: every API route but /api/health needs a token or a session; a session
needs its CSRF header to change anything; tokens can be revoked and scoped."""

from __future__ import annotations

import re

import pytest
from webtools import TestClient

from syncbeat.web.tokens import issue_token


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
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["message"].startswith("sign in, or send an API token")


def test_a_wrong_or_revoked_token_is_refused(api, anon, token):
    assert anon.get("/api/tasks", headers={"Authorization": "Bearer sb_nope"}).status_code == 401
    tokens = api.get("/api/tokens").json()["tokens"]
    assert [t["name"] for t in tokens] == ["tests"]
    assert "secret" not in tokens[0] and token not in str(tokens)
    assert api.delete(f"/api/tokens/{tokens[0]['id']}").status_code == 204
    refused = api.get("/api/tasks")
    assert refused.status_code == 401
    assert refused.json()["message"] == ("the API token is not valid: it was revoked or is "
                                         "mistyped")


def test_a_heartbeat_token_may_only_tick(ctx, anon):
    _, secret = issue_token(ctx.db, name="cron", scope="heartbeat", by=None, now=ctx.clock())
    bearer = {"Authorization": f"Bearer {secret}"}
    assert anon.get("/api/tasks", headers=bearer).status_code == 403
    assert anon.post("/api/heartbeat", headers=bearer).status_code == 200
    # a host that cannot set a header puts the token in the URL
    by_url = anon.post(f"/api/heartbeat?token={secret}")
    assert by_url.status_code == 200 and "lines" in by_url.json()
    assert anon.post("/api/heartbeat?token=sb_wrong").status_code == 401
    assert anon.post("/api/heartbeat").status_code == 401


def test_tokens_are_made_and_shown_once_through_the_api(api):
    made = api.post("/api/tokens", json={"name": "shop cron", "scope": "heartbeat"})
    assert made.status_code == 201
    body = made.json()
    assert body["secret"].startswith("sb_") and body["token"]["prefix"] == body["secret"][:10]
    listed = api.get("/api/tokens").json()["tokens"]
    assert body["secret"] not in str(listed)
    bad = api.post("/api/tokens", json={"name": "x", "scope": "root"})
    assert bad.status_code == 422 and bad.json()["field"] == "scope"
    assert api.post("/api/tokens", json={"name": ""}).status_code == 400
    assert api.delete("/api/tokens/999").status_code == 404


def test_the_pages_session_reads_the_api_but_changes_need_the_csrf_header(web, shop):
    assert web.get("/api/tasks").status_code == 200
    refused = web.post(f"/api/profiles/{shop['import'].id}/run")
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["message"]
    csrf = re.search(r'data-csrf="([^"]+)"', web.get("/tasks").text).group(1)
    done = web.post(f"/api/profiles/{shop['import'].id}/run", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201


def test_health_needs_no_sign_in_and_tells_the_heartbeat(anon, api):
    first = anon.get("/api/health").json()
    assert first["status"] == "no heartbeat" and first["database"] == "ok"
    assert first["last_heartbeat"] is None and first["heartbeat_ok"] is False
    api.post("/api/heartbeat")
    after = anon.get("/api/health").json()
    assert after["status"] == "ok" and after["heartbeat_ok"] is True
    assert after["last_heartbeat"] is not None


def test_health_says_when_the_database_is_unreachable(ctx, app, monkeypatch):
    import sqlalchemy as sa

    from syncbeat.web import health

    def down(_conn):
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(health, "last_heartbeat", down)
    with TestClient(app) as client:
        response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable: connection refused"


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
