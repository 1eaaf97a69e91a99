"""/api/settings, /api/heartbeat, /api/products, and errors that never show a stack trace."""

from __future__ import annotations

from webtools import TestClient, drain

from syncbeat.engine.actions import run_now


def test_settings_are_read_and_changed_one_by_one(api):
    settings = api.get("/api/settings").json()
    assert settings["default_batch_size"] == 5000 and settings["timezone"] == "UTC"
    changed = api.patch("/api/settings", json={"retention_days": 60, "timezone": "Europe/Riga"})
    assert changed.status_code == 200
    assert changed.json()["retention_days"] == 60 and changed.json()["timezone"] == "Europe/Riga"
    assert api.get("/api/settings").json()["default_batch_size"] == 5000


def test_a_refused_setting_is_422_naming_it(api):
    for change, field in [({"retention_days": 0}, "retention_days"),
                          ({"timezone": "Nowhere/City"}, "timezone"),
                          ({"tick_interval_seconds": "fast"}, "tick_interval_seconds"),
                          ({"colour": "blue"}, "colour")]:
        response = api.patch("/api/settings", json=change)
        assert response.status_code == 422, change
        assert response.json()["message"].startswith(field), change
    assert api.get("/api/settings").json()["retention_days"] == 30


def test_the_heartbeat_url_runs_a_tick(api, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    tick = api.post("/api/heartbeat")
    assert tick.status_code == 200
    assert f"task {task_id} (Supplier A) started" in tick.json()["lines"]
    for _ in range(20):
        if not api.post("/api/heartbeat").json()["more"]:
            break
    assert api.get(f"/api/tasks/{task_id}").json()["status"] == "completed"


def test_products_are_searchable_and_show_the_tasks_that_changed_them(api, ctx, shop):
    task_id = run_now(ctx, shop["import"].id)
    drain(ctx)
    found = api.get("/api/products?search=P1&limit=5").json()
    assert [p["reference"] for p in found["products"]] == ["P1", "P10"]
    assert found["total"] == 2
    assert api.get("/api/products?search=Product 3").json()["total"] == 1
    one = api.get("/api/products/P2").json()
    assert one["product"]["price"] == "2.00"
    assert one["changed_by"] == [{
        "task_id": task_id, "profile": "Supplier A", "status": "completed",
        "scheduled_at": one["changed_by"][0]["scheduled_at"], "item": 2,
        "detail": "price: 1.00 -> 2.00; quantity: 1 -> 5"}]
    assert api.get("/api/products/P8").json()["changed_by"] == []  # skipped: no change
    assert api.get("/api/products/NOPE").status_code == 404


def test_an_unexpected_error_is_500_json_without_a_stack_trace(app, token, monkeypatch):
    from syncbeat.web import api_tasks

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals at /srv/db")

    monkeypatch.setattr(api_tasks, "task_page", broken)
    with TestClient(app, raise_server_exceptions=False,
                    headers={"Authorization": f"Bearer {token}"}) as client:
        response = client.get("/api/tasks")
    assert response.status_code == 500
    assert response.json()["message"].startswith("syncbeat hit an unexpected error")
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_an_unknown_api_address_is_a_json_404(api):
    response = api.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["message"] == "nothing at /api/nothing-here"
    assert api.put("/api/tasks").status_code == 405
