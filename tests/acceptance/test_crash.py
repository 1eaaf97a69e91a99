"""Crash safety: a worker killed with SIGKILL at random moments of an import (while it queues,
and between or inside batches) loses nothing and applies nothing twice. The same import run
without interruption on a fresh database ends with the same catalog, counters and report."""

from __future__ import annotations

import json
import random
import re
import time
from decimal import Decimal
from typing import Any

import pytest
from clitools import import_toml, invariant, side_by_side, wait_for

SEED = 20261128
PRODUCTS = 3_000
ROWS = 20_000
BATCH = 100
HEADER = ["sku", "title", "price", "qty"]


def _price(rng: random.Random) -> str:
    return f"{rng.randint(100, 99_999) / 100:.2f}"


def _catalog(rng: random.Random) -> dict[str, tuple[str, str, int]]:
    """reference -> (name, price, quantity)."""
    return {
        f"P-{i:05d}": (f"Product {i}", _price(rng), rng.randint(0, 50))
        for i in range(1, PRODUCTS + 1)
    }


def _feed(
    rng: random.Random, catalog: dict[str, tuple[str, str, int]]
) -> tuple[list[list[Any]], dict[str, tuple[str, str, int]], list[str]]:
    """The feed rows, and what a correct import makes of them: the catalog after it, and each
    row's outcome. About 50% change a price, a quantity or a name, 40% change nothing, 5% are
    new products (create_missing is on), 5% are bad (a price that is no number, no key)."""
    state = dict(catalog)
    keys = list(state)
    rows: list[list[Any]] = []
    outcomes: list[str] = []
    new = 0
    for _ in range(ROWS):
        roll = rng.random()
        if roll < 0.025:
            key = rng.choice(keys)
            rows.append([key, state[key][0], "abc", rng.randint(0, 50)])
            outcomes.append("error")
        elif roll < 0.05:
            rows.append(["", "No key", _price(rng), 1])
            outcomes.append("error")
        elif roll < 0.10:
            new += 1
            key = f"N-{new:05d}"
            state[key] = (f"New product {new}", _price(rng), rng.randint(0, 50))
            keys.append(key)
            rows.append([key, *state[key]])
            outcomes.append("processed")
        elif roll < 0.60:
            key = rng.choice(keys)
            name, price, quantity = state[key]
            what = rng.random()
            if what < 0.45 or what >= 0.9:
                while (new_price := _price(rng)) == price:
                    pass
                price = new_price
            if 0.45 <= what < 0.9 or what >= 0.9:
                quantity = (quantity + rng.randint(1, 20)) % 71
            if what >= 0.95:
                name = f"{name} (renamed)"
            state[key] = (name, price, quantity)
            rows.append([key, name, price, quantity])
            outcomes.append("processed")
        else:
            key = rng.choice(keys)
            rows.append([key, *state[key]])
            outcomes.append("skipped")
    return rows, state, outcomes


def _load_catalog(db_url: str, catalog: dict[str, tuple[str, str, int]]) -> None:
    from datetime import UTC, datetime

    from syncbeat.store.catalog_queries import insert_products
    from syncbeat.store.db import make_engine, write_tx

    db = make_engine(db_url)
    now = datetime.now(UTC)
    try:
        with write_tx(db) as conn:
            insert_products(conn, [
                {"reference": ref, "name": name, "price": Decimal(price), "quantity": quantity,
                 "active": True, "updated_at": now}
                for ref, (name, price, quantity) in catalog.items()
            ])
    finally:
        db.dispose()


def _prepare(cli, catalog, rows) -> tuple[Any, list[str]]:
    """Load the catalog and the feed; the command that adds the profile."""
    _load_catalog(cli.db_url, catalog)
    cli.feed("crash.csv", HEADER, rows)
    # The feed repeats keys on purpose: each row applies in feed order.
    profile = cli.profile_file(import_toml("Crash", "crash.csv", batch_size=BATCH,
                                           create_missing=True)
                               + 'duplicates = "last_wins"\n')
    return (cli, ["profile", "add", str(profile)])


def _products(listed: list[dict[str, Any]]) -> dict[str, tuple[str, str, int]]:
    return {p["reference"]: (p["name"], p["price"], p["quantity"]) for p in listed}


def _ordeal(sb, probe, rng: random.Random) -> list[str]:
    """SIGKILL a worker while the feed is being queued, then at four random points of the
    batches, a new worker each time; then a worker drains what is left. Returns the kills."""
    assert sb("run", "Crash").lines[0].startswith("task 1 created")
    thresholds = [rng.randint(1_000, 4_500), rng.randint(5_500, 9_000),
                  rng.randint(10_000, 13_500), rng.randint(14_500, 18_500)]
    kills: list[str] = []

    def state() -> dict[str, Any]:
        row = probe.row(1)
        assert row is not None
        return row

    with sb.worker() as worker:
        def queueing() -> dict[str, Any] | None:
            assert worker.running(), worker.output()
            row = state()
            return row if row["status"] == "running" else None

        row = wait_for("the task to start", queueing, every=0.002)
        worker.sigkill()
        kills.append(f"while queueing (queue done: {bool(row['queue_done'])}, "
                     f"{row['total']:,} items queued)")

    def check(shown: Any, kill: str) -> None:
        """What the operator sees after a crash: the task still runs, its counters add up."""
        assert shown.wait() == 0, shown.output()
        task = json.loads(shown.out)
        assert task["status"] == "running", (kill, task)
        assert invariant(task["progress"]), (kill, task)

    for threshold in thresholds:
        # `task show` runs beside the new worker's start-up: no batch of it commits before the
        # dead worker's lease expires.
        with sb.popen("task", "show", "1", "--json") as shown, sb.worker() as worker:
            def reached(threshold: int = threshold) -> dict[str, Any] | None:
                assert worker.running(), worker.output()
                row = state()
                return row if row["queue_done"] and row["total"] - row["pending"] >= threshold \
                    else None

            wait_for(f"{threshold:,} items worked", reached, every=0.003)
            time.sleep(rng.uniform(0, 0.012))  # land anywhere in a tick (one batch: ~5-10 ms)
            worker.sigkill()
            check(shown, kills[-1])
        row = state()
        kills.append(f"after {row['total'] - row['pending']:,} items")
    with sb.popen("task", "show", "1", "--json") as shown:
        check(shown, kills[-1])

    print("SIGKILLed the worker", "; ".join(kills))  # shown when the test fails
    drained = sb("worker", "--drain", timeout=180)
    assert "task 1 (Crash) completed" in drained.lines, (kills, str(drained))
    return kills


@pytest.mark.slow
def test_a_worker_killed_at_random_moments_loses_nothing_and_applies_nothing_twice(
    sb, other, probe
):
    rng = random.Random(SEED)
    catalog = _catalog(rng)
    rows, expected_catalog, expected_outcomes = _feed(rng, catalog)
    # A dead worker's lease expires after a second; an idle worker ticks ten times a second.
    side_by_side(_prepare(sb, catalog, rows), _prepare(other, catalog, rows),
                 (sb, ["settings", "lease_seconds=1", "tick_interval_seconds=0.1"]))

    # The reference, run meanwhile: the same import, uninterrupted, on a fresh database.
    with other.popen("run", "Crash", "--wait") as reference:
        kills = _ordeal(sb, probe, rng)
        assert reference.wait(timeout=180) == 0, reference.output()
    assert reference.out.splitlines() == ["task 1 completed"], reference.output()

    # Same counters, same report, same catalog as the uninterrupted run; and what a correct
    # import of this feed must give.
    reads = (["task", "show", "1", "--json"], ["task", "report", "1"],
             ["catalog", "list", "--json", "--limit", "1000000"])
    (crashed_task, crashed_report, crashed_catalog, crashed_log, reference_task,
     reference_report, reference_catalog) = side_by_side(
        *((sb, args) for args in reads), (sb, ["task", "log", "1"]),
        *((other, args) for args in reads))
    crashed_task, reference_task = crashed_task.json(), reference_task.json()
    assert crashed_task["status"] == reference_task["status"] == "completed", kills
    expected_progress = {
        "total": ROWS, "pending": 0, "processed": expected_outcomes.count("processed"),
        "skipped": expected_outcomes.count("skipped"), "cancelled": 0,
        "error": expected_outcomes.count("error"),
    }
    assert reference_task["progress"] == expected_progress
    assert crashed_task["progress"] == reference_task["progress"], kills

    assert crashed_report.out == reference_report.out, kills
    report_rows = crashed_report.csv()
    assert [row[2] for row in report_rows[1:]] == expected_outcomes
    details = {row[3] for row in report_rows[1:] if row[2] == "error"}
    assert details == {"price 'abc' is not a number", "the row has no value for its key"}

    reference_products = _products(reference_catalog.json())
    assert reference_products == expected_catalog
    assert _products(crashed_catalog.json()) == reference_products, kills

    # The log names each batch once: none was applied twice, none lost.
    log = crashed_log.out
    numbers = [int(n) for n in re.findall(r" batch (\d+): items ", log)]
    # (A batch takes at most BATCH items: fewer when the machine is slow, `domain.pace`.)
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= ROWS // BATCH, kills
    assert len(re.findall(r" started: read feeds/crash\.csv ", log)) == 1
    assert len(re.findall(rf" queued {ROWS:,} items ", log)) == 1
    assert len(re.findall(r" completed: ", log)) == 1


def _prepare_shop(cli, shop_db, prefix: str, catalog, rows) -> tuple[Any, list[str]]:
    """A PrestaShop shop holding the catalog (under `prefix`), the feed; the command that
    adds the profile, on the shop."""
    from shopdb import Product

    shop_db.install(prefix)
    shop_db.add_simple(prefix, [
        Product(reference=ref, names={1: name}, price=Decimal(price), quantity=quantity)
        for ref, (name, price, quantity) in catalog.items()])
    cli.feed("crash.csv", HEADER, rows)
    # The feed repeats keys on purpose: each row applies in feed order.
    profile = cli.profile_file(import_toml("Crash", "crash.csv", batch_size=BATCH,
                                           create_missing=True)
                               + 'duplicates = "last_wins"\n')
    return (cli, ["profile", "add", str(profile)])


def _shop_products(url: str, references: list[str]) -> dict[str, tuple[str, str, int]]:
    """reference -> (name, price, quantity) as the shop holds them."""
    from syncbeat.catalog.location import PrestashopLocation, parse_catalog
    from syncbeat.catalog.prestashop.catalog import PrestashopCatalog

    location = parse_catalog(url)
    assert isinstance(location, PrestashopLocation)
    shop = PrestashopCatalog(location)
    try:
        found = shop.fetch(None, "reference", references,  # type: ignore[arg-type]
                           ["name", "price", "quantity"])
    finally:
        shop.close()
    return {ref: (p.values["name"], f"{p.values['price']:.2f}", p.values["quantity"])
            for ref, p in found.items()}


@pytest.mark.slow
def test_on_a_prestashop_shop_a_killed_worker_applies_nothing_twice(
    sb, other, probe, shop_db
):
    """The same ordeal with the catalog in a shop's MariaDB database: five SIGKILLs, and the
    shop, the counters and the report end as an uninterrupted run's on another shop."""
    rng = random.Random(SEED + 8)
    catalog = _catalog(rng)
    rows, expected_catalog, expected_outcomes = _feed(rng, catalog)
    crashed_url, reference_url = shop_db.url("cr_"), shop_db.url("ref_")
    sb = sb.with_env(SYNCBEAT_CATALOG=crashed_url)
    other = other.with_env(SYNCBEAT_CATALOG=reference_url)
    side_by_side(_prepare_shop(sb, shop_db, "cr_", catalog, rows),
                 _prepare_shop(other, shop_db, "ref_", catalog, rows),
                 (sb, ["settings", "lease_seconds=1", "tick_interval_seconds=0.1"]))

    with other.popen("run", "Crash", "--wait") as reference:
        kills = _ordeal(sb, probe, rng)
        assert reference.wait(timeout=180) == 0, reference.output()
    assert reference.out.splitlines() == ["task 1 completed"], reference.output()

    reads = (["task", "show", "1", "--json"], ["task", "report", "1"])
    crashed_task, crashed_report, crashed_log, reference_task, reference_report = side_by_side(
        *((sb, args) for args in reads), (sb, ["task", "log", "1"]),
        *((other, args) for args in reads))
    crashed_task, reference_task = crashed_task.json(), reference_task.json()
    assert crashed_task["status"] == reference_task["status"] == "completed", kills
    assert reference_task["progress"] == {
        "total": ROWS, "pending": 0, "processed": expected_outcomes.count("processed"),
        "skipped": expected_outcomes.count("skipped"), "cancelled": 0,
        "error": expected_outcomes.count("error")}
    assert crashed_task["progress"] == reference_task["progress"], kills
    assert crashed_report.out == reference_report.out, kills
    assert [row[2] for row in crashed_report.csv()[1:]] == expected_outcomes

    references = list(expected_catalog)
    assert _shop_products(reference_url, references) == expected_catalog
    assert _shop_products(crashed_url, references) == expected_catalog, kills
    numbers = [int(n) for n in re.findall(r" batch (\d+): items ", crashed_log.out)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= ROWS // BATCH, kills


def _one_row_a_product(
    rng: random.Random,
) -> tuple[dict[str, tuple[str, str, int]], list[list[Any]]]:
    """A catalog of ROWS products and a feed of ROWS rows, each key once (several batches of
    one task apply in any order): half change, two in five do not, one in twenty is new and
    one in twenty bad."""
    catalog = {f"P-{i:05d}": (f"Product {i}", _price(rng), rng.randint(0, 50))
               for i in range(1, ROWS + 1)}
    rows: list[list[Any]] = []
    for n, (key, (name, price, quantity)) in enumerate(catalog.items()):
        roll = rng.random()
        if roll < 0.05:
            rows.append([key, name, "abc", quantity])
        elif roll < 0.10:
            rows.append([f"N-{n:05d}", f"New {n}", _price(rng), 1])
        elif roll < 0.60:
            rows.append([key, name, price, (quantity + rng.randint(1, 20)) % 71])
        else:
            rows.append([key, name, price, quantity])
    rng.shuffle(rows)
    return catalog, rows


@pytest.mark.slow
@pytest.mark.parametrize("where", ["built-in catalog", "shop"])
def test_two_workers_on_one_import_killed_at_random_moments_end_as_one_uninterrupted_worker(
    sb, other, probe, request, where
):
    """Several workers work one import at once, each batch on a range of its own: two at a
    time are SIGKILLed at random moments, four times, then one drains. Counters, report and
    catalog (the built-in one, or a shop's: exactly once across two databases) end as an
    uninterrupted single worker's, and the log covers every item once."""
    rng = random.Random(SEED + 12)
    catalog, rows = _one_row_a_product(rng)
    urls: tuple[str, str] | None = None
    if where == "shop":
        from shopdb import Product

        shop_db = request.getfixturevalue("shop_db")
        urls = shop_db.url("cw_"), shop_db.url("rw_")
        sb = sb.with_env(SYNCBEAT_CATALOG=urls[0])
        other = other.with_env(SYNCBEAT_CATALOG=urls[1])

    def prepare(cli, prefix: str) -> tuple[Any, list[str]]:
        if urls is None:
            _load_catalog(cli.db_url, catalog)
        else:
            shop_db.install(prefix)
            shop_db.add_simple(prefix, [
                Product(reference=ref, names={1: name}, price=Decimal(price),
                        quantity=quantity) for ref, (name, price, quantity) in catalog.items()])
        cli.feed("crash.csv", HEADER, rows)
        profile = cli.profile_file(import_toml("Crash", "crash.csv", batch_size=BATCH,
                                               create_missing=True))
        return (cli, ["profile", "add", str(profile)])

    side_by_side(prepare(sb, "cw_"), prepare(other, "rw_"),
                 (sb, ["settings", "lease_seconds=1", "tick_interval_seconds=0.1"]))
    kills: list[str] = []
    with other.popen("run", "Crash", "--wait") as reference:
        assert sb("run", "Crash").lines[0].startswith("task 1 created")
        worked = 0
        for _ in range(4):
            # Somewhat further on than the last kill left it, whatever the workers' speed.
            threshold = min(worked + rng.randint(300, 2_500), ROWS - 500)
            with sb.worker() as first, sb.worker() as second:
                def reached(threshold: int = threshold) -> dict[str, Any] | None:
                    assert first.running(), first.output()
                    assert second.running(), second.output()
                    row = probe.row(1)
                    assert row is not None  # killed while queueing too, now and then
                    return row if row["total"] - row["pending"] >= threshold else None

                wait_for(f"{threshold:,} items worked", reached, every=0.003)
                time.sleep(rng.uniform(0, 0.012))
                first.sigkill()
                time.sleep(rng.uniform(0, 0.012))
                second.sigkill()
            task = sb.task(1)
            assert task["status"] == "running" and invariant(task["progress"]), task
            worked = task["progress"]["total"] - task["progress"]["pending"]
            kills.append(f"after {worked:,} items (aimed at {threshold:,})")
        print("SIGKILLed both workers", "; ".join(kills))  # shown when the test fails
        drained = sb("worker", "--drain", timeout=180)
        assert "task 1 (Crash) completed" in drained.lines, (kills, str(drained))
        assert reference.wait(timeout=180) == 0, reference.output()

    reads = (["task", "show", "1", "--json"], ["task", "report", "1"])
    (crashed_task, crashed_report, crashed_log, reference_task,
     reference_report) = side_by_side(
        *((sb, args) for args in reads), (sb, ["task", "log", "1"]),
        *((other, args) for args in reads))
    crashed_task, reference_task = crashed_task.json(), reference_task.json()
    assert crashed_task["status"] == reference_task["status"] == "completed", kills
    assert crashed_task["progress"] == reference_task["progress"], kills
    assert crashed_task["progress"]["total"] == ROWS
    assert crashed_report.out == reference_report.out, kills
    if urls is None:
        listed = ["catalog", "list", "--json", "--limit", "1000000"]
        crashed_catalog, reference_catalog = side_by_side((sb, listed), (other, listed))
        assert _products(crashed_catalog.json()) == _products(reference_catalog.json()), kills
    else:
        references = list(dict.fromkeys([*catalog, *(row[0] for row in rows)]))
        reference_shop = _shop_products(urls[1], references)
        assert len(reference_shop) > len(catalog)  # the new products were created
        assert _shop_products(urls[0], references) == reference_shop, kills
    # Every item in exactly one recorded batch: none applied twice, none lost.
    ranges = sorted((int(a.replace(",", "")), int(b.replace(",", "")))
                    for a, b in re.findall(r" batch \d+: items ([\d,]+)-([\d,]+): ",
                                           crashed_log.out))
    covered = [seq for first, last in ranges for seq in range(first, last + 1)]
    assert covered == list(range(1, ROWS + 1)), kills
