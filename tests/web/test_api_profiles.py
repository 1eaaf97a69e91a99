"""/api/profiles and /api/schedule: create, read, update, delete, enable, disable, run,
preview; mistakes come back naming their field."""

from __future__ import annotations

from webtools import export_data, import_data, task_of

from syncbeat.domain.statuses import TaskStatus


def test_create_read_update_and_delete_a_profile(api):
    made = api.post("/api/profiles", json=import_data(schedule="*/15 * * * *",
                                                      timezone="Europe/Vilnius"))
    assert made.status_code == 201
    profile = made.json()
    assert profile["name"] == "Supplier A" and profile["schedule_words"] == (
        "Every 15th minute of every hour")
    # In the profile's own zone (Europe/Vilnius), with its offset.
    assert profile["next_runs"] == ["2026-11-02T11:15:00+02:00", "2026-11-02T11:30:00+02:00",
                                    "2026-11-02T11:45:00+02:00", "2026-11-02T12:00:00+02:00",
                                    "2026-11-02T12:15:00+02:00"]
    pid = profile["id"]
    assert api.get(f"/api/profiles/{pid}").json()["mapping"] == {
        "price": "net_price", "quantity": "stock", "name": "title"}
    assert api.get("/api/profiles/Supplier A").json()["id"] == pid
    changed = api.put(f"/api/profiles/{pid}", json=import_data(batch_size=250))
    assert changed.status_code == 200 and changed.json()["batch_size"] == 250
    assert "schedule" not in changed.json() and changed.json()["next_runs"] == []
    listed = api.get("/api/profiles").json()["profiles"]
    assert [(p["id"], p["last_task"]) for p in listed] == [(pid, None)]
    assert api.delete(f"/api/profiles/{pid}").status_code == 204
    assert api.get(f"/api/profiles/{pid}").status_code == 404


def test_a_profile_with_mistakes_is_422_naming_each_field(api):
    bad = api.post("/api/profiles", json=import_data(schedule="every day", batch_size=0))
    assert bad.status_code == 422
    body = bad.json()
    assert body["field"] == "schedule"
    assert {e["field"] for e in body["errors"]} == {"schedule", "batch_size"}
    assert "not a valid cron expression" in body["errors"][0]["message"]
    export = api.post("/api/profiles", json=export_data(fields={"sku": "colour"}))
    assert export.status_code == 422 and export.json()["field"] == "fields.sku"


def test_a_taken_name_is_a_conflict(api):
    assert api.post("/api/profiles", json=import_data()).status_code == 201
    again = api.post("/api/profiles", json=import_data())
    assert again.status_code == 409
    assert again.json()["field"] == "name" and "exists already" in again.json()["message"]


def test_a_body_that_is_not_json_is_400(api):
    response = api.post("/api/profiles", content=b"{name: oops",
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"] == "the request body is not valid JSON"
    listed = api.post("/api/profiles", json=["not", "an", "object"])
    assert listed.status_code == 400


def test_enable_disable_and_run_now(api, ctx, shop):
    pid = shop["import"].id
    assert api.post(f"/api/profiles/{pid}/disable").json()["enabled"] is False
    assert api.post(f"/api/profiles/{pid}/enable").json()["enabled"] is True
    run = api.post(f"/api/profiles/{pid}/run")
    assert run.status_code == 201
    task = run.json()["task"]
    assert task["status"] == "pending" and task["trigger"] == "manual"
    assert task_of(ctx, task["id"]).status is TaskStatus.PENDING
    assert api.post("/api/profiles/999/run").status_code == 404
    assert api.post("/api/profiles/nobody/enable").status_code == 404


def test_preview_shows_what_each_row_would_change_and_saves_nothing(api, ctx, shop):
    preview = api.post("/api/profiles/preview", json=import_data(name="Unsaved"))
    assert preview.status_code == 200
    body = preview.json()
    assert body["error"] is None and body["columns"] == ["sku", "net_price", "stock", "title"]
    rows = {r["key"]: (r["outcome"], r["detail"]) for r in body["rows"]}
    assert rows["P1"] == ("update", "price: 1.00 -> 2.00; quantity: 1 -> 5")
    assert rows["P7"][0] == "error" and "not a number" in rows["P7"][1]
    assert rows["P8"] == ("skip", "no change")
    assert rows["NEW1"] == ("skip", "not in the catalog and create_missing is off")
    assert len(body["rows"]) == 10
    assert api.get("/api/profiles/Unsaved").status_code == 404
    assert api.get("/api/tasks").json()["total"] == 0
    created = api.post("/api/profiles/preview", json=import_data(
        name="x", options={"create_missing": True})).json()
    assert {r["key"]: r["outcome"] for r in created["rows"]}["NEW1"] == "create"
    missing = api.post("/api/profiles/preview", json=import_data(
        source={"location": "feeds/none.csv"})).json()
    assert missing["rows"] == [] and "does not exist" in missing["error"]
    export = api.post("/api/profiles/preview", json=export_data())
    assert export.status_code == 422 and export.json()["field"] == "kind"


def test_the_schedule_check_gives_the_next_runs_in_the_zone(api):
    ok = api.get("/api/schedule", params={"cron": "0 9 * * 1-5", "timezone": "Europe/Vilnius"})
    body = ok.json()
    assert body["words"] == "At 09:00 on Monday through Friday"
    assert body["next_runs_local"][:2] == ["Tue 2026-11-03 09:00 EET (UTC+02:00)",
                                            "Wed 2026-11-04 09:00 EET (UTC+02:00)"]
    assert body["next_runs"][0] == "2026-11-03T07:00:00+00:00"
    bad = api.get("/api/schedule", params={"cron": "61 * * * *"})
    assert bad.status_code == 422 and bad.json()["field"] == "schedule"
    zone = api.get("/api/schedule", params={"cron": "* * * * *", "timezone": "Mars/Base"})
    assert zone.status_code == 422 and zone.json()["field"] == "timezone"
