"""Where a batch's time goes: an import run in this process, its parts timed.

    python benchmarks/parts.py                      # N = 1,000,000, CSV
    python benchmarks/parts.py --n 200000 --format xml
    python benchmarks/parts.py --read-only --format jsonl   # only reading the feed

Builds (once, in --work-dir) a catalog of N products, writes the benchmark's feed, and works
the import with heartbeat ticks in a loop, as a worker does but in one process (the feed is
queued within the ticks). Each part is timed by wrapping the function that does it; the
figures are seconds and microseconds per item, wrapping costs a little.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import bench
import feeds

TIMES: defaultdict[str, float] = defaultdict(float)


def timed(owner: Any, name: str, label: str | None = None) -> None:
    """Replace owner.name by a wrapper adding its time to TIMES[label or name]."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[label or name] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--format", default="csv", choices=sorted(feeds.WRITERS))
    parser.add_argument("--batch-size", type=int, default=None,
                        help="the profile's batch size (default: none, so the default one)")
    parser.add_argument("--work-dir", default="bench-data/parts")
    parser.add_argument("--price-rule", choices=sorted(bench.PRICE_RULES), default=None,
                        help="compute the price with one of bench.py's three-step rules")
    parser.add_argument("--read-only", action="store_true",
                        help="time only reading the feed's records, as queueing does")
    args = parser.parse_args()

    from syncbeat.catalog.builtin import BuiltinCatalog
    from syncbeat.domain import taskspec
    from syncbeat.domain.profile import parse_profile
    from syncbeat.engine import batch, heartbeat, queuers, recording
    from syncbeat.engine.actions import run_now
    from syncbeat.engine.context import Context
    from syncbeat.store.db import make_engine, upgrade, write_tx
    from syncbeat.store.profiles import insert_profile

    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    db = bench.Database(None, work)
    db.template = work / f"catalog-{args.n}.db"  # kept between runs: built once for each N
    if not db.template.exists():
        db.build_template(args.n)
    engine = make_engine(db.fresh("run"))
    upgrade(engine)  # a template from before a migration
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    (data / "feeds").mkdir(parents=True)
    rows, _ = feeds.rows(args.n)
    feeds.WRITERS[args.format](data / "feeds" / f"bench.{args.format}", rows)

    import tomllib
    from decimal import Decimal

    toml = bench.profile_toml(args.format, args.batch_size, args.price_rule)
    profile = parse_profile(tomllib.loads(toml, parse_float=Decimal))
    if args.read_only:
        _read_only(data / "feeds" / f"bench.{args.format}", profile, args.n)
        return
    ctx = Context(db=engine, data_dir=data)
    with write_tx(engine) as conn:
        profile_id = insert_profile(conn, profile, ctx.clock()).id
    run_now(ctx, profile_id)

    timed(heartbeat.Heartbeat, "tick", "tick (all)")
    timed(queuers, "queue_step")
    for name in ("run_batch", "finish_task", "schedule", "start_due", "has_work",
                 "load_settings", "running_tasks", "record_heartbeat", "release_gone_leases"):
        timed(heartbeat, name)
    for name in ("_read", "import_batch", "claim_task", "record_batch", "take_range"):
        timed(batch, name)
    # A batch of the built-in catalog is read and decided in a read snapshot, its writes
    # made ready there, then written under the write lock.
    timed(batch, "_in_snapshot", "_in_snapshot (read, decide, prepare)")
    timed(batch, "decide_batch", "decide_batch (in _in_snapshot)")
    timed(batch, "outcome_writes", "outcome_writes (in _in_snapshot)")
    for name in ("queued_with_products", "prepare"):
        timed(BuiltinCatalog, name, f"{name} (in _in_snapshot)")
    for name in ("changed_since", "write"):
        timed(BuiltinCatalog, name, f"{name} (write lock)")
    timed(batch.ImportPlan, "of", "ImportPlan.of")
    timed(taskspec.TaskSpec, "from_json", "TaskSpec.from_json")
    for name in ("record_outcomes", "finish_batch", "add_log"):
        timed(recording, name, f"{name} (in record_batch)")
    from sqlalchemy.engine.base import RootTransaction

    timed(RootTransaction, "_do_commit", "commits (all)")
    timed(BuiltinCatalog, "apply", "apply (in import_batch, decided again)")
    from syncbeat.engine import process

    timed(process, "decide_batch", "decide_batch (in import_batch, decided again)")

    started = time.perf_counter()
    beat = heartbeat.Heartbeat(ctx)
    ticks = 1
    while beat.tick().more:
        ticks += 1
    total = time.perf_counter() - started
    print(f"N = {args.n:,} {args.format}, batch size {args.batch_size or 'default'}: "
          f"{total:.2f} s, "
          f"{args.n / total:,.0f} items/s, {ticks} ticks, one process")
    for name, seconds in sorted(TIMES.items(), key=lambda item: -item[1]):
        print(f"  {name:<40}{seconds:7.2f} s {seconds / args.n * 1e6:7.2f} us/item")


def _read_only(feed: Path, profile: Any, n: int) -> None:
    from syncbeat.engine.start import feed_spec
    from syncbeat.feeds import open_feed

    started = time.perf_counter()
    with open_feed(feed, feed_spec(profile.source), profile.feed_fields) as reader:
        count = sum(1 for _ in reader.records())
    seconds = time.perf_counter() - started
    print(f"read {count:,} records of {feed.name} in {seconds:.2f} s: "
          f"{seconds / count * 1e6:.2f} us a record")


if __name__ == "__main__":
    main()
