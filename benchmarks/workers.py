"""Workers that add up, or not: 1, 2 and 4 `syncbeat worker` processes, on PostgreSQL or SQLite.

    python benchmarks/workers.py --database-url postgresql+psycopg://postgres@127.0.0.1/test
    python benchmarks/workers.py --n 200000 --workers 1,2 --database-url ...
    python benchmarks/workers.py --n 200000 --workers 1,2     # SQLite

Two cases, each on a fresh copy of a catalog of N products (bench.py's catalog and feed):
one import of N rows, and four imports of N/4 rows each (four profiles, four feeds, the
catalog's four quarters), queued with `syncbeat run`. Then W workers (`syncbeat worker
--drain`, the default tick interval) start together; the time is from their start to the end
of the last task. Each task's
outcome counts are checked. It prints figures; it asserts only that outcomes are right.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
import bench
import feeds


def _profile(name: str, feed: str) -> str:
    return (bench.profile_toml("csv", None)
            .replace('name = "bench csv"', f'name = "{name}"')
            .replace('location = "feeds/bench.csv"', f'location = "feeds/{feed}"'))


def case(db: bench.Database, work: Path, rows: list[feeds.Row], parts: int, workers: int
         ) -> float:
    """Seconds for `workers` workers to work `parts` imports of `rows` (split evenly)."""
    url = db.fresh(f"w{workers}_{parts}")
    data = work / f"data_{workers}_{parts}"
    shutil.rmtree(data, ignore_errors=True)
    (data / "feeds").mkdir(parents=True)
    env = {**os.environ, "SYNCBEAT_DATA_DIR": str(data), "SYNCBEAT_DATABASE_URL": url}
    size = len(rows) // parts
    tasks = {}
    for part in range(parts):
        mine = rows[part * size:(part + 1) * size]
        feeds.write_csv(data / "feeds" / f"part{part}.csv", mine)
        toml = work / f"part{part}.toml"
        toml.write_text(_profile(f"part {part}", f"part{part}.csv"))
        bench.run_cli(["profile", "add", str(toml)], env)
        out = bench.run_cli(["run", f"part {part}"], env).output
        task_id = int(re.search(r"task (\d+)", out).group(1))  # type: ignore[union-attr]
        tasks[task_id] = Counter(_kind(row) for row in mine)
    # The tick interval a user gets: a worker that finds no task it may take waits it, as
    # idle workers do in production (a short interval made them spin beside the busy one).
    command = [*bench.SYNCBEAT, "worker", "--drain", "--quiet"]
    engine = sa.create_engine(url)
    started = time.perf_counter()
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT) for _ in range(workers)]
    # Timed to the last task's end; the idle workers then see nothing left at their next
    # tick and exit (waited for, not timed).
    while True:
        with engine.connect() as conn:
            left = conn.execute(sa.text(
                "SELECT count(*) FROM tasks WHERE status IN ('pending', 'running')")).scalar()
        if not left:
            break
        if any(proc.poll() for proc in procs):
            raise SystemExit("a worker failed")
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    engine.dispose()
    for proc in procs:
        if proc.wait():
            raise SystemExit(f"a worker failed (exit {proc.returncode})")
    for task_id, kinds in tasks.items():
        task = bench.task_json(env, task_id)
        expected = {"total": sum(kinds.values()), "processed": kinds["changed"] + kinds["new"],
                    "skipped": kinds["unchanged"], "error": kinds["bad"], "pending": 0,
                    "cancelled": 0}
        assert task["status"] == "completed", task
        assert task["progress"] == expected, (task["progress"], expected)
    return seconds


def _kind(row: feeds.Row) -> str:
    if row.sku.startswith("NEW"):
        return "new"
    if not row.sku or row.price == "abc":
        return "bad"
    i = int(row.sku[3:])
    if row.price == feeds.catalog_price(i) and row.stock == str(feeds.catalog_quantity(i)):
        return "unchanged"
    return "changed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--cases", default="1,4", help="imports at once: 1, 4 or both")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--work-dir", default="bench-data/workers")
    args = parser.parse_args()
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    db = bench.Database(args.database_url, work)
    print(f"workers on {'PostgreSQL' if args.database_url else 'SQLite'}: N = {args.n:,}, "
          "the default batch size, "
          f"{os.cpu_count()} cores, load average {bench._load()}")
    db.build_template(args.n)
    rows, _ = feeds.rows(args.n)
    print(f"{'imports':<9}{'workers':>8}{'seconds':>9}{'items/s':>10}{'x 1 worker':>12}"
          f"{'load (1 min)':>14}")
    for parts in (int(c) for c in args.cases.split(",")):
        one = None
        for workers in (int(w) for w in args.workers.split(",")):
            seconds = case(db, work, rows, parts, workers)
            one = one or seconds
            print(f"{parts:<9}{workers:>8}{seconds:>9.2f}{args.n / seconds:>10,.0f}"
                  f"{one / seconds:>12.2f}{os.getloadavg()[0]:>14.2f}", flush=True)
    print(f"load average at the end: {bench._load()}")


if __name__ == "__main__":
    main()
