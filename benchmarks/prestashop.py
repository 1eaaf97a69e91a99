"""syncbeat's PrestaShop benchmark: a supplier's stock-and-price feeds imported into a shop.

    python benchmarks/prestashop.py                       # 200,000 products, 3 runs
    python benchmarks/prestashop.py --products 1000000 --runs 1 --skip-floor   # memory
    python benchmarks/prestashop.py --workers 2 --database-url postgresql+psycopg://...

The shop (on the machine's MariaDB, 127.0.0.1:3306, root) has N products, one in ten with
five combinations. The supplier sends every sellable item's price and stock in two CSV feeds,
as a merchant sets it up: simple products by reference, combinations by combination reference
(a profile matches one field; two profiles reading one mixed feed would each see the other's
rows as "not in the catalog"). Of every 20 items: 10 change price or stock, 8 are unchanged,
1 is bad (a price or stock that is no number, or a negative price), 1 is unknown to the shop.

Each run copies the shop twice. syncbeat imports both feeds into one copy as a user runs it:
the real CLI (`syncbeat run` twice, then `syncbeat worker --drain`), SQLite store, the
profiles' default batch size, SYNCBEAT_CATALOG=prestashop://...; the outcome counts are
checked. `--workers W` starts W workers at once (`--database-url`: the store on PostgreSQL,
where their batches of one task run at once). Plain PyMySQL code applies the same rows to
the other copy (`shopfloor.py`): the floor. Both copies must end the same (prices and stock
rows). It prints figures; it asserts only that the outcomes are right. Databases are named
sb_bench_* and dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import bench
import shopdata
import shopfloor
from bench import SYNCBEAT, run_cli

PROFILE = """
name = "{name}"
kind = "import"
[source]
location = "{feed}"
format = "csv"
delimiter = ";"
[match]
feed = "{key}"
catalog = "{match}"
[mapping]
price = "price"
quantity = "quantity"
"""


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _store(url: str | None) -> dict[str, str]:
    """The environment of a fresh store: SQLite in the data folder, or a PostgreSQL database."""
    if url is None:
        return {}
    import sqlalchemy as sa

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql('DROP DATABASE IF EXISTS "bench_shop_store" WITH (FORCE)')
        conn.exec_driver_sql('CREATE DATABASE "bench_shop_store"')
    admin.dispose()
    store = sa.make_url(url).set(database="bench_shop_store").render_as_string(False)
    return {"SYNCBEAT_DATABASE_URL": store}


def _workers(env: dict[str, str], count: int) -> tuple[float, float, str]:
    """`count` workers started at once, each draining: seconds to the last one's exit, the
    biggest peak memory (MB) and the first one's figures."""
    command = [*bench.SYNCBEAT, "worker", "--drain", "--quiet", "--stats", "--interval", "0.01"]
    started = time.perf_counter()
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(count)]
    outs = [proc.communicate()[0] for proc in procs]
    seconds = time.perf_counter() - started
    if any(proc.returncode for proc in procs):
        raise SystemExit("a worker failed:\n" + "\n".join(outs))
    peaks = [float(m.group(1)) for out in outs
             for m in [re.search(r"peak memory (\d+) MB", out)] if m]
    return seconds, max(peaks, default=0.0), outs[0]


def syncbeat_run(shop: str, feeds: shopdata.Feeds, work: Path, cprofile: str | None = None,
                 workers: int = 1, store: str | None = None) -> dict[str, Any]:
    """Both feeds imported by the real CLI; seconds, items/s and the worker's peak."""
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    (data / "feeds").mkdir(parents=True)
    env = {**os.environ, "SYNCBEAT_DATA_DIR": str(data), **_store(store),
           "SYNCBEAT_CATALOG": f"prestashop://root@127.0.0.1:3306/{shop}?prefix=ps_"}
    run_cli(["init"], env)
    tasks = {}
    for feed, key, match, path in (
            ("products", "reference", "reference", feeds.products),
            ("combinations", "combination_reference", "combination.reference",
             feeds.combinations)):
        shutil.copy(path, data / "feeds" / path.name)
        toml = work / f"{feed}.toml"
        toml.write_text(PROFILE.format(name=f"supplier {feed}", feed=f"feeds/{path.name}",
                                       key=key, match=match))
        run_cli(["profile", "add", str(toml)], env)
        out = run_cli(["run", f"supplier {feed}"], env).output
        tasks[feed] = int(re.search(r"task (\d+)", out).group(1))  # type: ignore[union-attr]
    if cprofile:  # the worker under cProfile, its figures written to this file
        bench.SYNCBEAT = [sys.executable, "-m", "cProfile", "-o", cprofile, "-m",
                          "syncbeat.cli"]
    try:
        if workers == 1:
            worker = run_cli(["worker", "--drain", "--quiet", "--stats", "--interval", "0.01"],
                             env)
            seconds, peak_mb, said = worker.seconds, worker.peak_mb, worker.output
        else:
            seconds, peak_mb, said = _workers(env, workers)
    finally:
        bench.SYNCBEAT = SYNCBEAT
    import json

    for feed, task_id in tasks.items():
        task = json.loads(run_cli(["task", "show", str(task_id), "--json"], env).output)
        kinds = feeds.kinds[feed]
        expected = {"total": sum(kinds.values()), "processed": kinds[shopdata.CHANGED],
                    "skipped": kinds[shopdata.UNCHANGED] + kinds[shopdata.UNKNOWN],
                    "error": kinds[shopdata.BAD], "pending": 0, "cancelled": 0}
        assert task["status"] == "completed", task
        assert task["progress"] == expected, (feed, task["progress"], expected)
    batches = re.findall(r"error in ([\d.]+) s", "".join(
        run_cli(["task", "log", str(t)], env).output for t in tasks.values()))
    memory = re.search(r"peak memory .*", said)
    return {"seconds": seconds, "rate": feeds.rows / seconds,
            "peak_mb": peak_mb, "batches": sum(map(float, batches)),
            "memory": memory.group(0) if memory else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-dir", default="bench-data/prestashop")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse", action="store_true",
                        help="use the shop a run with --keep left (sb_bench_Nk_template)")
    parser.add_argument("--cprofile", metavar="FILE", help="run the worker under cProfile")
    parser.add_argument("--workers", type=int, default=1, help="workers started at once")
    parser.add_argument("--database-url", default=None,
                        help="the store on PostgreSQL (default SQLite in the data folder)")
    parser.add_argument("--tag", help="the databases are sb_bench_TAG_* (default: 200k for "
                        "200,000 products)")
    args = parser.parse_args()
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    n = args.products
    tag = args.tag or (f"{n // 1000}k" if n % 1000 == 0 else str(n))
    template = f"sb_bench_{tag}_template"
    print(f"syncbeat PrestaShop benchmark: {n:,} products, {os.cpu_count()} cores, "
          f"{datetime.now():%Y-%m-%d %H:%M}, load {load()}")
    started = time.perf_counter()
    if not (args.reuse and shopdata.exists(template)):
        shopdata.build(template, n)
    feeds = shopdata.write_feeds(work / "feeds", n)
    print(f"shop built and feeds written in {time.perf_counter() - started:.1f} s: "
          f"{feeds.rows:,} feed rows; products {dict(feeds.kinds['products'])}, "
          f"combinations {dict(feeds.kinds['combinations'])}")
    print(f"\n{'run':<5}{'syncbeat s':>11}{'items/s':>10}{'batches s':>11}{'peak MB':>9}"
          f"{'floor s':>9}{'floor rows/s':>14}{'x floor':>9}  load 1/5/15 min")
    results = []
    try:
        for run in range(1, args.runs + 1):
            mine, floor = f"sb_bench_{tag}_syncbeat", f"sb_bench_{tag}_floor"
            shopdata.clone(template, mine)
            before = load()
            r = syncbeat_run(mine, feeds, work, args.cprofile, args.workers,
                             args.database_url)
            if not args.skip_floor:
                shopdata.clone(template, floor)
                r["floor"] = shopfloor.apply_feeds(floor, feeds.products, feeds.combinations)
                same = shopdata.checksum(mine) == shopdata.checksum(floor)
                assert same, "syncbeat and the floor left the shops different"
                shopdata.drop(floor)
            if not args.keep:
                shopdata.drop(mine)
            results.append(r)
            f = r.get("floor")
            floor_text = (f"{f:>9.2f}{feeds.rows / f:>14,.0f}{f / r['seconds']:>9.2f}" if f
                          else f"{'-':>9}{'-':>14}{'-':>9}")
            print(f"{run:<5}{r['seconds']:>11.2f}{r['rate']:>10,.0f}{r['batches']:>11.2f}"
                  f"{r['peak_mb']:>9.0f}{floor_text}  {before} -> {load()}\n      "
                  f"{r['memory']}", flush=True)
    finally:
        if not args.keep:
            shopdata.drop(template)
    if len(results) > 1:
        rate = statistics.median(r["rate"] for r in results)
        print(f"\nmedian: {rate:,.0f} items/s, peak {max(r['peak_mb'] for r in results):.0f} MB",
              end="")
        if not args.skip_floor:
            ratios = [r["floor"] / r["seconds"] for r in results]
            print(f", floor {statistics.median(feeds.rows / r['floor'] for r in results):,.0f}"
                  f" rows/s, ratio {statistics.median(ratios):.2f}", end="")
        print()


if __name__ == "__main__":
    main()
