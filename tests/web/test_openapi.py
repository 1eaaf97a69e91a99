"""The OpenAPI document says what the API answers: each operation's error codes with the
error body the app sends, the allowed words of every enumerated parameter, the profile's
required fields."""

from __future__ import annotations

from syncbeat.domain.ids import MAX_ID
from syncbeat.domain.statuses import ItemOutcome, TaskKind, TaskStatus
from syncbeat.store.tasks import SORTABLE

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


def _param(spec, label, name):
    method, path = label.split(" ")
    op = spec["paths"][path][method.lower()]
    return next(p for p in op["parameters"] if p["name"] == name)["schema"]


def test_every_error_answer_is_declared_with_the_apps_error_body(api):
    spec = api.get("/api/openapi.json").json()
    assert "HTTPValidationError" not in str(spec)  # FastAPI's 422 is not what the app sends
    assert set(spec["components"]["schemas"]["ErrorBody"]["required"]) == {
        "message", "field", "errors"}
    for label, op in _operations(spec):
        answers = op["responses"]
        if label != "GET /api/health":
            assert {"401", "403"} <= set(answers), label
        for code, answer in answers.items():
            if code.startswith("4"):
                assert answer["content"]["application/json"]["schema"] == ERROR_BODY, (
                    label, code)
        if "requestBody" in op or any(p["in"] == "query" for p in op.get("parameters", [])):
            assert "400" in answers, label


def test_each_operation_declares_the_codes_it_gives(api):
    spec = api.get("/api/openapi.json").json()
    codes = {label: set(op["responses"]) for label, op in _operations(spec)}
    assert codes["GET /api/tasks/{task_id}"] == {"200", "401", "403", "404"}
    assert codes["POST /api/tasks/{task_id}/kill"] == {"200", "401", "403", "404", "409"}
    assert codes["GET /api/tasks/{task_id}/export-file"] == {"200", "401", "403", "404", "409"}
    assert codes["POST /api/profiles"] == {"201", "400", "401", "403", "409", "422"}
    assert codes["PUT /api/profiles/{ref}"] == {"200", "400", "401", "403", "404", "409",
                                                "422"}
    assert codes["GET /api/schedule"] == {"200", "400", "401", "403", "422"}
    assert codes["GET /api/health"] == {"200", "503"}
    report = spec["paths"]["/api/tasks/{task_id}/report"]["get"]["responses"]["200"]
    assert list(report["content"]) == ["text/csv"]


def test_statuses_outcomes_kinds_and_sorts_are_enums(api):
    spec = api.get("/api/openapi.json").json()
    named = spec["components"]["schemas"]
    status = _param(spec, "GET /api/tasks", "status")["items"]["$ref"].rsplit("/", 1)[-1]
    assert named[status]["enum"] == [str(s) for s in TaskStatus]
    kind = _param(spec, "GET /api/tasks", "kind")["anyOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert named[kind]["enum"] == [str(k) for k in TaskKind]
    assert _param(spec, "GET /api/tasks", "sort")["enum"] == list(SORTABLE)
    assert _param(spec, "GET /api/tasks", "order")["enum"] == ["asc", "desc"]
    outcome = _param(spec, "GET /api/tasks/{task_id}/items", "outcome")
    assert outcome["enum"] == [o.label for o in ItemOutcome]


def test_ids_are_integers_in_the_columns_range_and_profiles_need_a_name_and_kind(api):
    spec = api.get("/api/openapi.json").json()
    task_id = _param(spec, "GET /api/tasks/{task_id}", "task_id")
    assert (task_id["type"], task_id["minimum"], task_id["maximum"]) == ("integer", 1, MAX_ID)
    body = spec["paths"]["/api/profiles"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["required"] == ["name", "kind"]
    assert body["schema"]["then"]["required"] == ["source", "mapping"]  # an import
    assert body["schema"]["else"]["required"] == ["fields"]  # an export


def test_the_docs_page_names_the_allowed_words(web):
    page = web.get("/api/docs").text
    assert "one of pending, missed, killed, running, error, completed" in page
