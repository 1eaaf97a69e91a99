"""syncbeat's benchmark: a million-product import and export, timed end to end.

    python benchmarks/bench.py                     # N = 1,000,000 on SQLite, csv/jsonl/xml
    python benchmarks/bench.py --n 100000 --formats csv
    python benchmarks/bench.py --database-url postgresql+psycopg://postgres@127.0.0.1/test
    python benchmarks/bench.py --n 200000 --formats csv --price-rule same     # plain vs a rule

Each import runs as a real task with the real command line (`syncbeat run`, then
`syncbeat worker --drain`), its outcome counts are checked, and its report and log are
downloaded with `syncbeat task report/log`. The same rows are also applied with plain sqlite3
(an executemany of a conditional UPDATE, no tracking): the floor. It prints figures; it
asserts only that the outcomes are right.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from syncbeat.engine.events import peak_rss_kb

sys.path.insert(0, str(Path(__file__).parent))
import feeds

SYNCBEAT = [sys.executable, "-m", "syncbeat.cli"]


@dataclass
class Run:
    seconds: float
    peak_mb: float
    output: str
    cpu: float = 0.0  # CPU seconds (user + system) of the process and the children it waited for


def run_cli(args: list[str], env: dict[str, str], cprofile: str | None = None) -> Run:
    """Run the real CLI; its wall time and peak memory (RSS) from the kernel's accounting;
    with `cprofile`, under cProfile, its figures written to that file."""
    import tempfile

    command = SYNCBEAT if cprofile is None else [
        sys.executable, "-m", "cProfile", "-o", cprofile, "-m", "syncbeat.cli"]
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        proc = subprocess.Popen([*command, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        # The kernel's peak RSS of the process after exec (VmHWM), polled until it exits:
        # getrusage would also count this benchmark's own memory, inherited at fork.
        peak_kb = 0
        # Waited for here, not by proc.poll(), for the kernel's account of its CPU time,
        # which the load of a shared machine moves far less than the wall time.
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, peak_rss_kb(proc.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        out.seek(0)
        text = out.read()
    if proc.returncode:
        raise SystemExit(f"syncbeat {' '.join(args)} failed:\n{text}")
    reported = re.search(r"peak memory (\d+) MB", text)
    peak_mb = float(reported.group(1)) if reported else peak_kb / 1024
    return Run(seconds, peak_mb, text, cpu)


class Database:
    """A fresh database per measured run: a copied SQLite file, or a PostgreSQL database."""

    def __init__(self, url: str | None, work: Path) -> None:
        self.url = url
        self.work = work
        self.template = work / "template.db"

    def fresh(self, name: str) -> str:
        if self.url is None:
            target = self.work / f"{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copy(self.template, target)
            return f"sqlite:///{target}"
        admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "bench_{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "bench_{name}" TEMPLATE "bench_template"')
        admin.dispose()
        return sa.make_url(self.url).set(database=f"bench_{name}").render_as_string(False)

    def build_template(self, n: int) -> None:
        from syncbeat.store.db import make_engine, upgrade

        if self.url is None:
            self.template.unlink(missing_ok=True)
            engine = make_engine(f"sqlite:///{self.template}")
            upgrade(engine)
            engine.dispose()
            feeds.make_catalog(self.template, n)
            con = sqlite3.connect(self.template)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
            return
        admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE IF EXISTS "bench_template" WITH (FORCE)')
            conn.exec_driver_sql('CREATE DATABASE "bench_template"')
        admin.dispose()
        url = sa.make_url(self.url).set(database="bench_template").render_as_string(False)
        engine = make_engine(url)
        upgrade(engine)
        raw = engine.raw_connection()
        with raw.driver_connection.cursor() as cur, cur.copy(  # type: ignore[union-attr]
            "COPY products (reference, name, price, quantity, active, updated_at) FROM STDIN"
        ) as copy:
            for i in range(n):
                copy.write_row((f"SKU{i:07d}", f"Product {i}", feeds.catalog_price(i),
                                feeds.catalog_quantity(i), True, "2026-01-01T00:00:00+00:00"))
        raw.commit()
        raw.close()
        engine.dispose()


# Three steps on every row. "same" gives the feed's own prices, so the run's outcomes (and
# writes) are the plain mapping's and the difference is the rule's cost; "markup" is a real
# shop's rule, which changes every product's price (so it writes more rows too).
PRICE_RULES = {
    "same": '{from = "net_price", steps = [{multiply = 1}, {add = 0}, {round = 2}]}',
    "markup": '{from = "net_price", steps = [{multiply = 1.35}, {add = 0.50}, {round = "0.99"}]}',
}


def profile_toml(fmt: str, batch: int | None, rule: str | None = None) -> str:
    """An import profile of the feed in `fmt`; `batch` None leaves batch_size out, so the
    task gets the Configure tab's default batch size, as a profile a user writes does."""
    price = PRICE_RULES[rule] if rule else '"net_price"'
    size = "" if batch is None else f"batch_size = {batch}"
    return f"""
name = "bench {fmt}"
kind = "import"
{size}
[source]
location = "feeds/bench.{fmt}"
format = "{fmt}"
delimiter = ";"
item = "product"
[match]
feed = "sku"
catalog = "reference"
[mapping]
price = {price}
quantity = "stock"
name = "title"
[options]
create_missing = true
"""


EXPORT_TOML = """
name = "bench export"
kind = "export"
{size}
[fields]
sku = "reference"
title = "name"
price = "price"
qty = "quantity"
"""


def phases(log: str) -> tuple[float, float, int]:
    """(queueing seconds, processing seconds, batches), from the actions log."""
    queued = re.search(r"queued [\d,]+ items.* in ([\d.]+) s", log)
    batches = re.findall(r"error in ([\d.]+) s", log)
    return (float(queued.group(1)) if queued else 0.0, sum(float(b) for b in batches),
            len(batches))


def batch_size_of(log: str) -> int:
    """The task's batch size (the most items a batch takes: fewer on a slow catalog), from
    its start line ("started: read ..., batch size 5,000 (the default)")."""
    said = re.search(r"started: .*, batch size ([\d,]+)", log)
    return int(said.group(1).replace(",", "")) if said else 0


def task_json(env: dict[str, str], task_id: int) -> dict[str, object]:
    import json

    return json.loads(run_cli(["task", "show", str(task_id), "--json"], env).output)


def import_run(db: Database, n: int, fmt: str, batch: int | None, rows: list[feeds.Row],
               kinds: dict[str, int], work: Path, rule: str | None = None,
               cprofile: str | None = None, tag: str = "") -> dict[str, Any]:
    """An import of the feed in `fmt`; with `rule`, its price is computed by one of
    PRICE_RULES; with `cprofile`, the worker runs under cProfile, its figures in that file."""
    url = db.fresh(f"import_{fmt}{'_rule' if rule else ''}{'' if batch is None else batch}{tag}")
    data = work / f"data_{fmt}"
    shutil.rmtree(data, ignore_errors=True)
    (data / "feeds").mkdir(parents=True)
    feed = data / "feeds" / f"bench.{fmt}"
    feeds.WRITERS[fmt](feed, rows)
    env = {**os.environ, "SYNCBEAT_DATA_DIR": str(data), "SYNCBEAT_DATABASE_URL": url}
    (work / f"{fmt}.toml").write_text(profile_toml(fmt, batch, rule))
    run_cli(["profile", "add", str(work / f"{fmt}.toml")], env)
    out = run_cli(["run", f"bench {fmt}"], env).output
    task_id = int(re.search(r"task (\d+)", out).group(1))  # type: ignore[union-attr]
    worker = run_cli(["worker", "--drain", "--quiet", "--stats", "--interval", "0.01"], env,
                     cprofile)
    task = task_json(env, task_id)
    progress = task["progress"]
    expected = {"total": n, "processed": kinds["changed"] + kinds["new"],
                "skipped": kinds["unchanged"], "error": kinds["bad"], "pending": 0,
                "cancelled": 0}
    if rule == "markup":  # its price is above every catalog price: all good rows change
        expected.update(processed=n - kinds["bad"], skipped=0)
    assert task["status"] == "completed", task
    assert progress == expected, (progress, expected)
    report = run_cli(["task", "report", str(task_id), "-o", str(work / "report.csv")], env)
    report_rows = sum(1 for _ in (work / "report.csv").open()) - 1
    assert report_rows == n, report_rows
    log = run_cli(["task", "log", str(task_id), "-o", str(work / "log.txt")], env)
    log_text = (work / "log.txt").read_text()
    queue_s, process_s, batches = phases(log_text)
    longest = re.search(r"longest ([\d.]+) s", worker.output)
    wait = re.search(r"longest wait for the lock ([\d.]+) s", worker.output)
    held = re.search(r"total ([\d.]+) s", worker.output)
    return {
        "format": f"{fmt}+rule" if rule else fmt, "seconds": worker.seconds, "cpu": worker.cpu,
        "batch": batch_size_of(log_text), "batches": batches,
        "rate": n / worker.seconds,
        "queue": queue_s, "process": process_s,
        # Start-up, the start (the feed's snapshot), commits, ticks, waits, the finish.
        "other": max(0.0, worker.seconds - process_s),
        "peak_mb": worker.peak_mb, "longest_tx": float(longest.group(1)) if longest else 0.0,
        "longest_wait": float(wait.group(1)) if wait else 0.0,
        "held": float(held.group(1)) if held else 0.0,
        "report_s": report.seconds, "report_rate": n / report.seconds,
        "report_mb": report.peak_mb, "log_s": log.seconds,
        "log_lines": log_text.count("\n"), "log_mb": log.peak_mb, "url": url, "env": env,
    }


def export_run(db: Database, n: int, batch: int | None, work: Path) -> dict[str, Any]:
    url = db.fresh("export")
    data = work / "data_export"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {**os.environ, "SYNCBEAT_DATA_DIR": str(data), "SYNCBEAT_DATABASE_URL": url}
    (work / "export.toml").write_text(
        EXPORT_TOML.format(size="" if batch is None else f"batch_size = {batch}"))
    run_cli(["profile", "add", str(work / "export.toml")], env)
    out = run_cli(["run", "bench export"], env).output
    task_id = int(re.search(r"task (\d+)", out).group(1))  # type: ignore[union-attr]
    worker = run_cli(["worker", "--drain", "--quiet", "--stats", "--interval", "0.01"], env)
    task = task_json(env, task_id)
    assert task["status"] == "completed", task
    assert task["progress"]["processed"] == n, task  # type: ignore[index]
    size = (data / "tasks" / str(task_id) / "export.json").stat().st_size
    return {"seconds": worker.seconds, "rate": n / worker.seconds, "peak_mb": worker.peak_mb,
            "bytes": size}


def floor_run(db: Database, rows: list[feeds.Row], work: Path) -> tuple[float, float]:
    """Plain sqlite3: the feed's rows as one executemany of a conditional UPDATE; its wall
    and CPU seconds."""
    target = work / "floor.db"
    shutil.copy(db.template, target)
    feed = work / "floor.csv"
    feeds.write_csv(feed, rows)
    con = sqlite3.connect(target, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    import csv

    started, cpu = time.perf_counter(), time.process_time()
    with feed.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader)
        con.execute("BEGIN")
        con.executemany(
            "UPDATE products SET price = ?, quantity = ?, name = ? "
            "WHERE reference = ? AND (price <> ? OR quantity <> ? OR name <> ?)",
            ((p, q, t, s, p, q, t) for s, t, p, q in reader),
        )
        con.execute("COMMIT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    con.close()
    return seconds, cpu


def task_list_timing(url_base: Database, work: Path, count: int = 100_000) -> tuple[float, float]:
    """Server time of the Task Manager's first page with `count` tasks (store query, and the
    JSON API when the web app is present), median of 20."""
    import statistics

    from syncbeat.engine.context import Context
    from syncbeat.store.db import make_engine, read_tx
    from syncbeat.store.tasks import count_tasks, list_tasks

    url = url_base.fresh("tasklist")
    engine = make_engine(url)
    now = datetime(2026, 11, 1).isoformat(sep=" ")
    with engine.begin() as conn:
        rows = [(f"profile {i % 20}", "import", ("completed", "error", "missed")[i % 3],
                 "manual", now, now, 1000, 1000) for i in range(count)]
        p = "?" if engine.dialect.name == "sqlite" else "%s"
        raw = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        raw.executemany(
            "INSERT INTO tasks (profile_name, kind, status, trigger, scheduled_at, created_at, "
            f"total, processed) VALUES ({', '.join([p] * 8)})", rows)
    samples = []
    for _ in range(20):
        started = time.perf_counter()
        with read_tx(engine) as conn:
            list_tasks(conn, limit=50)
            count_tasks(conn)
        samples.append(time.perf_counter() - started)
    store_ms = statistics.median(samples) * 1000
    api_ms = float("nan")
    try:
        from fastapi.testclient import TestClient

        from syncbeat.web.app import create_app  # type: ignore[import-not-found]

        data = work / "data_tasklist"
        data.mkdir(exist_ok=True)
        app = create_app(Context(db=engine, data_dir=data), worker=False)
        with TestClient(app) as client:
            headers = {"Authorization": f"Bearer {_api_token(engine)}"}
            api = []
            for _ in range(20):
                started = time.perf_counter()
                response = client.get("/api/tasks?limit=50", headers=headers)
                api.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
            api_ms = statistics.median(api) * 1000
    except ImportError:
        pass
    engine.dispose()
    return store_ms, api_ms


def _api_token(engine: sa.Engine) -> str:
    from datetime import UTC

    from syncbeat.engine.tokens import issue_token

    _, secret = issue_token(engine, name="bench", scope="api:read", by=None,
                            now=datetime.now(UTC))
    return secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="products and feed rows")
    parser.add_argument("--formats", default="csv,jsonl,xml")
    parser.add_argument("--batch-size", type=int, default=0,
                        help="a second batch size each import also runs at (a second line); "
                        "the first run has the defaults a user gets (no batch_size in the "
                        "profile, so the Configure tab's default batch size)")
    parser.add_argument("--fixed-items", type=int, default=2000,
                        help="rows imported a batch each to measure a batch's fixed cost "
                        "(0: skip)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--work-dir", default="bench-data")
    parser.add_argument("--skip-task-list", action="store_true")
    parser.add_argument("--shuffled", action="store_true",
                        help="the feed's rows in no key order (many suppliers' feeds), the "
                        "same shuffle every run; the floor applies them in that order too")
    parser.add_argument("--price-rule", choices=sorted(PRICE_RULES), default=None,
                        help="run each import again with a three-step price rule, and compare")
    parser.add_argument("--only", choices=["export"], default=None,
                        help="run only this part (the template catalog is still built)")
    parser.add_argument("--cprofile", metavar="FILE",
                        help="run the workers under cProfile, the figures of the first import "
                        "at the defaults written to FILE (its run is slower, and not a figure)")
    args = parser.parse_args()

    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    db = Database(args.database_url, work)
    n = args.n
    second = args.batch_size or None
    print(f"syncbeat benchmark: N = {n:,}, the default batch size"
          f"{f' and batch size {second:,}' if second else ''}, "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} cores, "
          f"{datetime.now():%Y-%m-%d %H:%M}, load average {_load()}")
    started = time.perf_counter()
    db.build_template(n)
    rows, kinds = feeds.rows(n)
    if args.shuffled:
        random.Random(1).shuffle(rows)
    built = time.perf_counter() - started
    print(f"catalog and feed rows built in {built:.1f} s; mix {dict(kinds)}"
          f"{'; rows shuffled' if args.shuffled else ''}")
    if args.only == "export":
        e = export_run(db, n, None, work)
        print(f"\nexport of {n:,} products to JSON: {e['seconds']:.2f} s "
              f"({e['rate']:,.0f} items/s), {e['bytes'] / 1e6:.0f} MB, peak {e['peak_mb']:.0f} MB")
        return
    floor, floor_cpu = (None, 0.0) if args.database_url else floor_run(db, rows, work)
    if floor:
        print(f"\nfloor, plain sqlite3 executemany of a conditional UPDATE: {floor:.2f} s "
              f"({n / floor:,.0f} rows/s), {floor_cpu:.2f} CPU s")
    print("\nimport end to end (queue + all batches + finish), `syncbeat worker --drain`; a big\n"
          "feed is queued by a second process while the batches run, so queue s overlaps\n"
          "batches s; other s is the rest of the worker's time (start-up, commits, the finish);\n"
          "peak MB is the worker's and its queueing process's together; wait s is the longest\n"
          "wait of a write transaction for the lock; lock s is the time write transactions\n"
          "held SQLite's one write lock, both processes together (the part of an import that\n"
          "cannot run side by side); cpu s is the CPU time of the worker and its queueing\n"
          "process, which the machine's load moves far less than the wall time:")
    print(f"{'format':<11}{'batch':>7}{'items/s':>10}{'x floor':>9}{'total s':>9}{'queue s':>9}"
          f"{'batches s':>11}{'other s':>9}{'peak MB':>9}{'longest tx s':>14}{'wait s':>8}"
          f"{'lock s':>8}{'cpu s':>8}")
    results: list[dict[str, Any]] = []
    for fmt in args.formats.split(","):
        for rule in (None, args.price_rule) if args.price_rule else (None,):
            for batch in (None, second) if second and not rule else (None,):
                r = import_run(db, n, fmt, batch, rows, kinds, work, rule,
                               cprofile=args.cprofile if not results else None)
                if batch is None:
                    results.append(r)
                ratio = f"{r['rate'] / (n / floor):.2f}" if floor else "-"
                print(f"{r['format']:<11}{r['batch']:>7,}{r['rate']:>10,.0f}{ratio:>9}"
                      f"{r['seconds']:>9.2f}{r['queue']:>9.2f}{r['process']:>11.2f}"
                      f"{r['other']:>9.2f}{r['peak_mb']:>9.0f}{r['longest_tx']:>14.3f}"
                      f"{r['longest_wait']:>8.3f}{r['held']:>8.2f}{r['cpu']:>8.2f}", flush=True)
    if floor:
        # On a shared machine the load moves while the imports run: the floor again after
        # them, and each import against the mean of the two.
        again, again_cpu = floor_run(db, rows, work)
        mean = (floor + again) / 2
        print(f"\nfloor again after the imports: {again:.2f} s ({n / again:,.0f} rows/s), "
              f"{again_cpu:.2f} CPU s; at the defaults against the mean of both "
              f"({n / mean:,.0f} rows/s): "
              + ", ".join(f"{r['format']} {r['rate'] / (n / mean):.2f}x" for r in results)
              + "; in CPU time (the floor's CPU s over the import's): "
              + ", ".join(f"{r['format']} {(floor_cpu + again_cpu) / 2 / r['cpu']:.2f}x"
                          for r in results))
    if args.fixed_items:
        # At most half the feed: the rest is what the per-item cost is measured on.
        fixed_costs(db, n, min(args.fixed_items, n // 2), args.formats.split(",")[0],
                    results[0], work)
    if args.price_rule:
        print(f"\nthe price rule {PRICE_RULES[args.price_rule]} on every row against the "
              "plain mapping:")
        plain = {r["format"]: r for r in results}
        for fmt in args.formats.split(","):
            a, b = plain[fmt], plain[f"{fmt}+rule"]
            print(f"{fmt:<7}{a['seconds']:.2f} s -> {b['seconds']:.2f} s "
                  f"({(b['seconds'] / a['seconds'] - 1) * 100:+.1f}%); batches "
                  f"{a['process']:.2f} s -> {b['process']:.2f} s "
                  f"({(b['process'] / a['process'] - 1) * 100:+.1f}%)")
    print("\nreport and log downloads (`syncbeat task report|log ID -o FILE`):")
    for r in results:
        print(f"{r['format']:<7} report {r['report_s']:.2f} s ({r['report_rate']:,.0f} rows/s, "
              f"peak {r['report_mb']:.0f} MB); log {r['log_lines']:,} lines in "
              f"{r['log_s']:.2f} s (peak {r['log_mb']:.0f} MB)")
    e = export_run(db, n, None, work)
    print(f"\nexport of {n:,} products to JSON: {e['seconds']:.2f} s ({e['rate']:,.0f} items/s), "
          f"{e['bytes'] / 1e6:.0f} MB, peak {e['peak_mb']:.0f} MB")
    if not args.skip_task_list:
        store_ms, api_ms = task_list_timing(db, work)
        print(f"\nTask Manager first page with 100,000 tasks: store {store_ms:.1f} ms, "
              f"JSON API {api_ms:.1f} ms (median of 20)")
    print(f"\nload average at the end: {_load()}")


def fixed_costs(db: Database, n: int, few: int, fmt: str, default: dict[str, Any],
                work: Path) -> None:
    """Print a batch's fixed cost and an item's cost at the defaults, apart.

    The first `few` rows of the feed are imported twice more into the same big catalog: a
    batch an item (batch size 1: each batch is nearly all fixed cost), and at the default
    batch size (a batch or two: the start-up and the finish). Their difference, over the
    difference in batches, is the fixed cost of a batch end to end (the tick around it:
    settings, claiming, the batch's commit, the log line); the log's duration of a batch of
    one is the part inside the batch. What the default run spent beyond that is its items'.
    """
    rows, kinds = feeds.rows(few)
    ones = import_run(db, few, fmt, 1, rows, kinds, work, tag="_ones")
    base = import_run(db, few, fmt, None, rows, kinds, work, tag="_few")
    fixed = (ones["seconds"] - base["seconds"]) / (ones["batches"] - base["batches"])
    fixed_in = ones["process"] / ones["batches"]
    item = (default["seconds"] - base["seconds"] - fixed * (default["batches"] - base["batches"])
            ) / (n - few)
    fixed_cpu = (ones["cpu"] - base["cpu"]) / (ones["batches"] - base["batches"])
    item_cpu = (default["cpu"] - base["cpu"]
                - fixed_cpu * (default["batches"] - base["batches"])) / (n - few)
    item_in = (default["process"] - fixed_in * default["batches"]) / n
    size = default["batch"]
    print(f"\nfixed cost of a batch and cost of an item at the defaults ({fmt}; {few:,} rows a "
          f"batch each, then at the default batch size, against the run above):\n"
          f"  end to end (the tick): {fixed * 1000:.2f} ms a batch + {item * 1e6:.2f} us an "
          f"item: a batch of {size:,} is {fixed / (fixed + item * size):.0%} fixed cost\n"
          f"  inside the batch (log): {fixed_in * 1000:.2f} ms a batch + {item_in * 1e6:.2f} us "
          f"an item: {fixed_in / (fixed_in + item_in * size):.0%} fixed\n"
          f"  in CPU time (worker and queueing process): {fixed_cpu * 1000:.2f} ms a batch + "
          f"{item_cpu * 1e6:.2f} us an item: {fixed_cpu / (fixed_cpu + item_cpu * size):.0%} "
          "fixed")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


if __name__ == "__main__":
    main()
