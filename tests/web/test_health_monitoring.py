"""What a load balancer or an uptime monitor sees at GET /api/health (503 when no task can
start or move), the heartbeat URL called with GET by `wget`, and the warning of a stopped
heartbeat on every page of the admin."""

from __future__ import annotations

import pytest
from webtools import TestClient

from syncbeat.engine.context import Context
from syncbeat.engine.tokens import issue_token
from syncbeat.store.db import make_engine


def test_health_answers_503_while_no_heartbeat_ran_and_200_with_the_same_body_after(anon,
                                                                                   api):
    never = anon.get("/api/health")
    assert never.status_code == 503
    assert never.json() == {"status": "no heartbeat", "database": "ok", "heartbeat_ok": False}
    api.post("/api/heartbeat")
    alive = anon.get("/api/health")
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok", "database": "ok", "heartbeat_ok": True}


def test_health_answers_503_once_the_heartbeat_is_stale(anon, api, clock):
    api.post("/api/heartbeat")
    clock.advance(minutes=2)
    assert anon.get("/api/health").status_code == 200  # a cron heartbeat a minute late is ok
    clock.advance(minutes=2)
    stale = api.get("/api/health")
    assert stale.status_code == 503
    body = stale.json()
    assert body["status"] == "no heartbeat" and body["heartbeat_ok"] is False
    assert body["warning"] == "no heartbeat for 4 minutes: no task will start"
    assert anon.get("/api/health").json() == {"status": "no heartbeat", "database": "ok",
                                              "heartbeat_ok": False}


def test_health_answers_503_when_the_database_cannot_be_opened(tmp_path, data_dir, clock):
    """A real database that cannot be reached: its folder does not exist."""
    from syncbeat.web.app import create_app

    db = make_engine(f"sqlite:///{tmp_path / 'gone' / 'syncbeat.db'}")
    ctx = Context(db=db, data_dir=data_dir, clock=clock)
    try:
        with TestClient(create_app(ctx, worker=False, secret=b"s")) as client:
            down = client.get("/api/health")
        assert down.status_code == 503
        assert down.json() == {"status": "down", "database": "unreachable"}
    finally:
        ctx.close()
        db.dispose()


@pytest.mark.parametrize("how", ["query", "header"])
def test_the_heartbeat_url_ticks_with_get_and_a_token(ctx, anon, how):
    _, secret = issue_token(ctx.db, name="wget", scope="heartbeat", by=None, now=ctx.clock())
    if how == "query":  # wget -q -O- "https://HOST/api/heartbeat?token=TOKEN"
        done = anon.get(f"/api/heartbeat?token={secret}")
    else:
        done = anon.get("/api/heartbeat", headers={"Authorization": f"Bearer {secret}"})
    assert done.status_code == 200 and "lines" in done.json()
    assert anon.get("/api/health").json()["heartbeat_ok"] is True


def test_the_heartbeat_url_by_get_takes_no_session_and_no_read_token(ctx, anon, web):
    refused = web.get("/api/heartbeat")  # a link on another site must not tick
    assert refused.status_code == 401
    assert refused.json()["message"].startswith("send an API token of scope heartbeat")
    _, reader = issue_token(ctx.db, name="reader", scope="api:read", by=None, now=ctx.clock())
    assert anon.get(f"/api/heartbeat?token={reader}").status_code == 403
    assert anon.get("/api/health").json()["heartbeat_ok"] is False


@pytest.mark.parametrize("path", ["/tasks", "/profiles", "/catalog", "/api/docs"])
def test_a_stopped_heartbeat_is_told_on_every_page(web, api, clock, path):
    page = web.get(path).text
    assert 'id="heartbeat-banner"' in page
    assert "No heartbeat has ever run: no task will start." in page
    api.post("/api/heartbeat")
    assert 'id="heartbeat-banner"' not in web.get(path).text
    clock.advance(hours=2)
    assert "No heartbeat for 2 hours: no task will start." in web.get(path).text


def test_the_configure_tab_says_it_once_in_its_heartbeat_card(web):
    page = web.get("/configure").text
    assert 'id="heartbeat-warning"' in page and 'id="heartbeat-banner"' not in page
    # the line to give a scheduler that can only fetch a URL
    assert 'wget -q -O /dev/null "http://testserver/api/heartbeat?token=TOKEN"' in page
