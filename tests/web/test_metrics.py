"""GET /metrics: the Prometheus text format behind a token of scope metrics, with the figures
the tasks show: tasks by status, items by outcome, queue depth, batch durations, the age of
the last heartbeat."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from webtools import drain, task_of

from syncbeat.engine.actions import run_now
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.engine.tokens import issue_token


@pytest.fixture
def scraper(ctx):
    return {"Authorization": "Bearer " + issue_token(
        ctx.db, name="prometheus", scope="metrics", by=None, now=ctx.clock())[1]}


def _scrape(anon, headers):
    answer = anon.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def test_metrics_show_what_the_tasks_show(ctx, anon, shop, scraper, clock):
    done = run_now(ctx, shop["import"].id)
    drain(ctx)
    running = run_now(ctx, shop["import"].id)
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()  # started, its items queued
    heartbeat.tick()  # a batch of 3 worked
    clock.advance(seconds=42)
    finished, busy = task_of(ctx, done), task_of(ctx, running)
    assert busy.status == "running" and busy.progress.pending > 0 and busy.batches == 1
    m = _scrape(anon, scraper)
    assert m[("syncbeat_tasks", (("status", "completed"),))] == 1
    assert m[("syncbeat_tasks", (("status", "running"),))] == 1
    assert m[("syncbeat_tasks", (("status", "error"),))] == 0
    for outcome, n in finished.progress.as_dict().items():
        if outcome != "total":
            expected = n + busy.progress.as_dict()[outcome]
            assert m[("syncbeat_items", (("outcome", outcome),))] == expected, outcome
    assert m[("syncbeat_items", (("outcome", "error"),))] >= 1  # the bad price
    assert m[("syncbeat_queue_depth", ())] == busy.progress.pending
    assert m[("syncbeat_heartbeat_age_seconds", ())] == 42.0
    batches = finished.batches + busy.batches  # every batch of both, each counted once
    assert m[("syncbeat_batch_duration_seconds_count", ())] == batches
    assert m[("syncbeat_batch_duration_seconds_bucket", (("le", "+Inf"),))] == batches
    assert m[("syncbeat_batch_duration_seconds_bucket", (("le", "60.0"),))] == batches
    assert m[("syncbeat_batch_duration_seconds_sum", ())] > 0
    assert m[("syncbeat_running_items_per_second", ())] > 0
    assert m[("syncbeat_busy_workers", ())] == 1  # this process, holding the running task
    clock.advance(seconds=200)  # past its lease (120 s): a worker gone quiet holds nothing
    assert _scrape(anon, scraper)[("syncbeat_busy_workers", ())] == 0


def test_metrics_before_any_heartbeat(anon, scraper):
    m = _scrape(anon, scraper)
    assert m[("syncbeat_heartbeat_age_seconds", ())] == float("inf")
    assert m[("syncbeat_queue_depth", ())] == 0
    assert m[("syncbeat_busy_workers", ())] == 0
    assert m[("syncbeat_batch_duration_seconds_count", ())] == 0


def test_metrics_need_a_token_of_their_scope_and_it_opens_nothing_else(ctx, anon, scraper,
                                                                       web):
    refused = anon.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["message"] == ("send an API token of scope metrics: Authorization: "
                                         "Bearer TOKEN")
    assert web.get("/metrics").status_code == 401  # a session is not a scraper
    _, ticker = issue_token(ctx.db, name="cron", scope="heartbeat", by=None, now=ctx.clock())
    wrong = anon.get("/metrics", headers={"Authorization": f"Bearer {ticker}"})
    assert wrong.status_code == 403
    assert wrong.json()["message"] == ("the token 'cron' has the scope heartbeat: this call "
                                       "needs the scope metrics (or api:read, api:write)")
    assert anon.get("/api/tasks", headers=scraper).status_code == 403
    assert anon.post("/api/heartbeat", headers=scraper).status_code == 403


def test_metrics_count_each_steps_failures(ctx, anon, shop, scraper):
    from syncbeat.catalog.builtin import BuiltinCatalog

    class Unreachable(BuiltinCatalog):
        """The catalog's database gone away, as a shop's may."""

        def fetch(self, *args, **kwargs):
            raise RuntimeError("the catalog database cannot be reached")

        queued_with_products = fetch

    before = _scrape(anon, scraper)
    assert {step: before[("syncbeat_step_failures_total", (("step", step),))]
            for step in ("queueing", "batch", "finishing")} == {
        "queueing": 0, "batch": 0, "finishing": 0}
    task_id = run_now(ctx, shop["import"].id)
    heartbeat = Heartbeat(ctx)
    heartbeat.tick()  # started, its items queued
    ctx.catalog = Unreachable()
    heartbeat.tick()
    heartbeat.tick()
    assert task_of(ctx, task_id).status == "running"  # retried: 2 failures of 5
    m = _scrape(anon, scraper)
    assert m[("syncbeat_step_failures_total", (("step", "batch"),))] == 2
    assert m[("syncbeat_step_failures_total", (("step", "queueing"),))] == 0
