"""Running profiles: `run --wait`, `run` then a worker, `heartbeat`, and a run that is missed."""

from __future__ import annotations

import re

from clitools import import_toml

HEADER = ["sku", "title", "price", "qty"]
ROWS = 250


def _stock(sb, *, create_missing=True, also=None):
    sb.feed("stock.csv", HEADER,
            [[f"S-{i:04d}", f"Stock item {i}", f"{i}.25", i % 9] for i in range(1, ROWS + 1)])
    texts = [import_toml("Stock", "stock.csv", create_missing=create_missing)]
    if also:
        texts.append(also)
    sb.many(*(["profile", "add", str(sb.profile_file(text))] for text in texts))


def test_run_wait_works_the_task_and_says_how_it_ended(sb):
    _stock(sb, also=import_toml("Late supplier", "never-delivered.csv"))

    ran = sb("run", "Stock", "--wait")
    assert ran.lines == ["task 1 completed"], str(ran)
    # The progress goes to stderr, ending with the final counts.
    assert ran.err_lines[-1].startswith(
        f"[{'#' * 30}] {ROWS:,} of {ROWS:,} completed processed {ROWS:,}")

    missing = sb.fails("run", "Late supplier", "--wait", code=1)
    assert missing.lines[-1].startswith(
        "task 2 error: the file feeds/never-delivered.csv does not exist"), str(missing)

    task, product, count, report, unknown = sb.many(
        ["task", "show", "2", "--json"], ["catalog", "show", "S-0042", "--json"],
        ["catalog", "count"], ["task", "report", "1"], ["run", "No such profile", "--wait"],
        check=False)
    assert (unknown.code, unknown.err_lines) == (
        1, ["syncbeat: no profile 'No such profile' (see `syncbeat profile list`)"])
    failed = task.json()
    assert failed["status"] == "error"
    assert failed["message"].startswith("the file feeds/never-delivered.csv does not exist")
    assert failed["started_at"] is None and failed["finished_at"] is not None
    assert {k: product.json()[k] for k in ("reference", "name", "price", "quantity")} == {
        "reference": "S-0042", "name": "Stock item 42", "price": "42.25", "quantity": 42 % 9,
    }
    assert count.out.strip() == str(ROWS)
    rows = report.csv()
    assert rows[0] == ["item", "key", "outcome", "detail"]
    assert len(rows) == ROWS + 1
    assert rows[42] == ["42", "S-0042", "processed", "created"]


def test_runs_queued_by_hand_are_worked_by_a_worker_and_one_due_while_another_runs_is_missed(
    sb,
):
    _stock(sb)
    queued = sb("run", "Stock")
    assert queued.lines == ["task 1 created; the heartbeat (worker or serve) starts it"]
    again = sb("run", "Stock")
    assert again.lines == ["task 2 created; the heartbeat (worker or serve) starts it"]
    assert [(t["id"], t["status"]) for t in sb.json("tasks")] == [(2, "pending"), (1, "pending")]

    drained = sb("worker", "--drain")
    lines = drained.lines
    assert lines[:3] == ["task 1 (Stock) started",
                         "task 2 (Stock) missed: task 1 of this profile was still running",
                         f"task 1: queued {ROWS} items"], drained.out
    assert lines[3].startswith("task 1: batch 1: items 1-100: 100 processed, 0 skipped")
    assert "task 1 (Stock) completed" in lines
    assert lines[-1].startswith("worker stopped after "), drained.out

    first, second, report, log, idle = sb.many(
        ["task", "show", "1", "--json"], ["task", "show", "2", "--json"],
        ["task", "report", "1"], ["task", "log", "2"], ["heartbeat"])
    done = first.json()
    assert done["status"] == "completed"
    assert done["progress"] == {"total": ROWS, "pending": 0, "processed": ROWS, "skipped": 0,
                                "cancelled": 0, "error": 0}
    assert {tuple(r[2:]) for r in report.csv()[1:]} == {("processed", "created")}
    missed = second.json()
    assert missed["status"] == "missed"
    assert missed["message"] == "task 1 of this profile was still running"
    assert missed["started_at"] is None and missed["finished_at"] is not None
    assert set(missed["progress"].values()) == {0}
    assert log.lines[-1].endswith("[WARNING] missed: task 1 of this profile was still running")
    assert idle.lines == ["nothing to do"]


def test_a_quiet_worker_says_what_happened_to_tasks_but_not_each_batch(sb):
    _stock(sb)
    sb("run", "Stock")
    quiet = sb("worker", "--drain", "--quiet", "--stats")
    lines = quiet.lines
    assert lines[:-2] == ["task 1 (Stock) started", f"task 1: queued {ROWS} items",
                          "task 1 (Stock) completed"], quiet.out
    assert lines[-2].startswith("worker stopped after "), quiet.out
    # --stats: no process read a feed beside this worker (a small one), so one figure of
    # memory; a write transaction at least for each of the three batches.
    stats = re.fullmatch(r"write transactions: ([\d,]+), longest [\d.]+ s, total [\d.]+ s, "
                         r"longest wait for the lock [\d.]+ s; peak memory (\d+) MB", lines[-1])
    assert stats, lines[-1]
    assert int(stats[1].replace(",", "")) >= 3 and int(stats[2]) > 0
    batches = re.findall(r" batch (\d+): items ", sb("task", "log", "1").out)
    assert batches == ["1", "2", "3"]  # worked, and only left out of what the worker said


def test_each_heartbeat_from_cron_works_one_batch(sb):
    # Each `syncbeat heartbeat` is a process of its own: the next one must not find the task
    # held by the one before (the lease is 120 s).
    _stock(sb, create_missing=False)
    sb("run", "Stock")
    first = sb("heartbeat")
    assert first.lines == ["task 1 (Stock) started", f"task 1: queued {ROWS} items"]
    second = sb("heartbeat")
    assert second.lines[0].startswith(
        "task 1: batch 1: items 1-100: 0 processed, 100 skipped, 0 error in "), str(second)


def test_a_feed_under_its_limit_runs_with_force_and_a_rerun_works_what_failed(sb):
    sb.feed("small.csv", HEADER, [["L-1", "One", "1.50", 1], ["L-2", "Two", "abc", 2],
                                  ["L-1", "Again", "9.00", 9]])
    text = import_toml("Small", "small.csv", create_missing=True) + "\n[limits]\nmin_rows = 5\n"
    sb("profile", "add", str(sb.profile_file(text)))

    refused = sb.fails("run", "Small", "--wait", code=1)
    assert refused.lines[-1] == (
        "task 1 error: safety limit: the feed has 3 rows, fewer than limits.min_rows (5); "
        "nothing was changed (run it anyway to apply it)"), str(refused)
    assert sb("catalog", "count").out.strip() == "0"

    forced = sb("run", "Small", "--force", "--wait")
    assert forced.lines == ["task 2 completed"], str(forced)
    report = sb("task", "report", "2").csv()
    assert report[1:] == [["1", "L-1", "processed", "created"],
                          ["2", "L-2", "error", "price 'abc' is not a number"],
                          ["3", "L-1", "error", "key L-1 also on row 1"]]

    sb("profile", "edit", "Small", "--set", "mapping.price=title")  # a fix, of a sort
    rerun = sb("task", "rerun", "2", "--errors", "--wait")
    assert rerun.lines == ["task 3 completed"], str(rerun)
    shown = sb("task", "show", "3", "--json").json()
    assert shown["rerun_of"] == 2 and shown["progress"]["total"] == 2
    assert sb.fails("task", "rerun", "99", code=1).err_lines == ["syncbeat: no task 99"]
