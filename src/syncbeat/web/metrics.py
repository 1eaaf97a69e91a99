"""GET /metrics: the Prometheus text format, behind a token of scope `metrics` (or an API
token), read from the store at each scrape so every worker's work counts."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from syncbeat.store.db import read_tx
from syncbeat.store.metrics import Figures, read_figures
from syncbeat.web.auth import context, metrics_caller

router = APIRouter(include_in_schema=False)


class FiguresCollector(Collector):
    """One scrape's figures as metric families."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        f = self.figures
        tasks = GaugeMetricFamily("syncbeat_tasks", "Tasks kept, by status.", labels=["status"])
        for status, n in f.tasks_by_status.items():
            tasks.add_metric([status], n)
        yield tasks
        items = GaugeMetricFamily("syncbeat_items", "Items of the tasks kept, by outcome.",
                                  labels=["outcome"])
        for outcome, n in f.items_by_outcome.items():
            items.add_metric([outcome], n)
        yield items
        failures = CounterMetricFamily(
            "syncbeat_step_failures", "Failures of a heartbeat step (retried, then the "
            "task's error), by every worker.", labels=["step"])
        for step, n in f.step_failures.items():
            failures.add_metric([step], n)
        yield failures
        yield GaugeMetricFamily("syncbeat_busy_workers",
                                "Worker processes holding a running task (its live lease).",
                                value=f.busy_workers)
        yield GaugeMetricFamily("syncbeat_queue_depth",
                                "Pending items of the running tasks.", value=f.queue_depth)
        yield GaugeMetricFamily("syncbeat_running_items_per_second",
                                "Items worked per second of batch work, over the running tasks.",
                                value=f.running_items_per_second)
        yield HistogramMetricFamily(
            "syncbeat_batch_duration_seconds",
            "Duration of every batch (its transaction), by every worker.",
            buckets=[(_bound(b), n) for b, n in f.batch_seconds.buckets],
            sum_value=f.batch_seconds.total)
        age = f.heartbeat_age_seconds
        yield GaugeMetricFamily("syncbeat_heartbeat_age_seconds",
                                "Seconds since the last heartbeat tick (+Inf: never).",
                                value=float("inf") if age is None else age)


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(value)


@router.get("/metrics", dependencies=[Depends(metrics_caller)])
def metrics(request: Request) -> Response:
    """For Prometheus: `Authorization: Bearer TOKEN` of scope metrics."""
    ctx = context(request)
    with read_tx(ctx.db) as conn:
        figures = read_figures(conn, ctx.clock())
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FiguresCollector(figures))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)
