"""syncbeat against a chunked job queue: the same import rows, the same catalog, one run.

    .venv/bin/pip install -e ".[compare]"              # Celery and redis-py, for this alone
    python benchmarks/jobqueue.py                        # N = 1,000,000, SQLite, Redis on :6379
    python benchmarks/jobqueue.py --n 200000 --workers 2 --chunk 1000
    python benchmarks/jobqueue.py --runs 5               # five rounds back to back, the median

What a team writes in an afternoon instead of syncbeat (issue 12): Celery with a Redis broker,
the feed read by one producer and sent in chunks of 1,000 rows, two worker processes that
apply each chunk in one transaction (one query for the chunk's products, an executemany of
the updates, of the inserts and of one outcome row a product) and count it done in Redis.
It keeps no counters, no log, no report, no resume after a kill, and a chunk that fails is
lost. The time runs from the first chunk sent (the workers already started and warm) to the
last one done. Then syncbeat imports the same rows into a fresh copy of the same catalog with
the defaults a user gets (`syncbeat run`, `syncbeat worker --drain`), as bench.py does.

Both check their outcomes: changed and new rows written, unchanged ones skipped, bad ones in
error. It prints figures; it asserts only that the outcomes are right. The comparison is not
part of syncbeat: Celery and redis-py are installed for it alone.
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import redis as redis_py
from celery import Celery

sys.path.insert(0, str(Path(__file__).parent))
import bench
import feeds

BROKER = os.environ.get("JOBQUEUE_BROKER", "redis://127.0.0.1:6379/15")
DONE = "jobqueue:done"  # chunks done, counted by the workers
app = Celery("jobqueue", broker=BROKER)
app.conf.update(task_ignore_result=True, worker_prefetch_multiplier=4,
                task_serializer="json", accept_content=["json"], broker_connection_retry=True,
                broker_connection_retry_on_startup=True)
COUNTER = redis_py.Redis.from_url(BROKER)
_connections: dict[str, sqlite3.Connection] = {}


def _catalog(path: str) -> sqlite3.Connection:
    """The worker process's connection to the catalog, opened once."""
    con = _connections.get(path)
    if con is None:
        con = sqlite3.connect(path, isolation_level=None, timeout=60)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        _connections[path] = con
    return con


@app.task(name="jobqueue.apply_chunk")
def apply_chunk(path: str, first: int, rows: list[list[str]]) -> None:
    """Apply one chunk of feed rows (sku, title, price, stock) in one transaction."""
    con = _catalog(path)
    keys = [row[0] for row in rows if row[0]]
    con.execute("BEGIN IMMEDIATE")
    current = {}
    for start in range(0, len(keys), 500):  # SQLite's bound-parameter limit
        part = keys[start:start + 500]
        current.update((ref, (pid, name, price, qty)) for pid, ref, name, price, qty in con.execute(
            "SELECT id, reference, name, price, quantity FROM products WHERE reference IN "
            f"({','.join('?' * len(part))})", part))
    updates, inserts, outcomes = [], [], []
    for seq, (sku, title, price, stock) in enumerate(rows, first):
        if not sku:
            outcomes.append((seq, sku, "error", "no key"))
            continue
        try:
            value, quantity = Decimal(price), int(stock)
        except (InvalidOperation, ValueError):
            outcomes.append((seq, sku, "error", f"not a number: {price!r} or {stock!r}"))
            continue
        found = current.get(sku)
        if found is None:
            inserts.append((sku, title, str(value), quantity))
            outcomes.append((seq, sku, "processed", "created"))
        elif (found[1], Decimal(str(found[2])), found[3]) != (title, value, quantity):
            updates.append((title, str(value), quantity, found[0]))
            outcomes.append((seq, sku, "processed", "changed"))
        else:
            outcomes.append((seq, sku, "skipped", "no change"))
    con.executemany("UPDATE products SET name = ?, price = ?, quantity = ?, "
                    "updated_at = CURRENT_TIMESTAMP WHERE id = ?", updates)
    con.executemany("INSERT INTO products (reference, name, price, quantity, active, updated_at) "
                    "VALUES (?, ?, ?, ?, 1, CURRENT_TIMESTAMP)", inserts)
    con.executemany("INSERT INTO jq_outcomes (seq, sku, outcome, detail) VALUES (?, ?, ?, ?)",
                    outcomes)
    con.execute("COMMIT")
    COUNTER.incr(DONE)


def queue_run(db: bench.Database, n: int, rows: list[feeds.Row], kinds: dict[str, int],
              work: Path, chunk: int, workers: int) -> float:
    """The Celery run's seconds, from the first chunk sent to the last one done."""
    url = db.fresh("jobqueue")
    path = url.removeprefix("sqlite:///")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("CREATE TABLE jq_outcomes (seq INTEGER PRIMARY KEY, sku TEXT, outcome TEXT, "
                "detail TEXT)")
    con.close()
    feed = work / "jobqueue.csv"
    feeds.write_csv(feed, rows)
    redis = COUNTER
    redis.flushdb()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "jobqueue", "worker", "-c", str(workers),
         "--pool", "prefork", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-l", "warning"], env=env, cwd=Path(__file__).parent, stdout=subprocess.DEVNULL)
    try:
        _wait_ready(redis, path, workers)
        redis.set(DONE, 0)
        started = time.perf_counter()
        sent = 0
        with feed.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f, delimiter=";")
            next(reader)
            batch: list[list[str]] = []
            for row in reader:
                batch.append(row)
                if len(batch) == chunk:
                    apply_chunk.delay(path, sent * chunk + 1, batch)
                    sent, batch = sent + 1, []
            if batch:
                apply_chunk.delay(path, sent * chunk + 1, batch)
                sent += 1
        while int(redis.get(DONE) or 0) < sent:
            if worker.poll() is not None:
                raise SystemExit("the Celery worker stopped")
            time.sleep(0.01)
        seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)
    con = sqlite3.connect(path)
    got = dict(con.execute("SELECT outcome, count(*) FROM jq_outcomes GROUP BY outcome"))
    con.close()
    expected = {"processed": kinds["changed"] + kinds["new"], "skipped": kinds["unchanged"],
                "error": kinds["bad"]}
    assert got == expected, (got, expected)
    return seconds


def _wait_ready(redis: redis_py.Redis, path: str, workers: int) -> None:
    """Until every worker process has applied an empty chunk (started, connected, warm)."""
    redis.set(DONE, 0)
    deadline = time.monotonic() + 60
    for _ in range(workers * 4):
        apply_chunk.delay(path, 0, [])
    while int(redis.get(DONE) or 0) < workers * 4:
        if time.monotonic() > deadline:
            raise SystemExit("the Celery worker did not start within 60 s")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=1000, help="rows a Celery job")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--work-dir", default="bench-data/jobqueue")
    parser.add_argument("--runs", type=int, default=1,
                        help="rounds of both runs, back to back; the median ratio is the "
                             "figure on a machine whose speed moves between runs")
    args = parser.parse_args()
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    n = args.n
    print(f"N = {n:,} csv rows on SQLite, {os.cpu_count()} cores, load average {bench._load()}",
          flush=True)
    db = bench.Database(None, work)
    db.build_template(n)
    rows, kinds = feeds.rows(n)
    floor, _ = bench.floor_run(db, rows, work)
    print(f"floor, plain sqlite3: {floor:.2f} s ({n / floor:,.0f} rows/s)", flush=True)
    ratios = []
    for _ in range(args.runs):
        queued = queue_run(db, n, rows, kinds, work, args.chunk, args.workers)
        print(f"Celery + Redis, chunks of {args.chunk:,}, {args.workers} worker processes: "
              f"{queued:.2f} s, {n / queued:,.0f} items/s ({floor / queued:.2f}x the floor)",
              flush=True)
        ours = bench.import_run(db, n, "csv", None, rows, kinds, work)
        print(f"syncbeat at the defaults (batch {ours['batch']:,}), worker start to exit: "
              f"{ours['seconds']:.2f} s, {ours['rate']:,.0f} items/s "
              f"({floor / ours['seconds']:.2f}x the floor)")
        ratios.append(queued / ours["seconds"])
        print(f"syncbeat / Celery: {ratios[-1]:.2f}x; load average {bench._load()}", flush=True)
    if len(ratios) > 1:
        print(f"syncbeat / Celery over {len(ratios)} rounds: median "
              f"{statistics.median(ratios):.2f}x, {min(ratios):.2f}x to {max(ratios):.2f}x")


if __name__ == "__main__":
    main()
