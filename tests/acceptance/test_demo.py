"""`syncbeat demo` shows every status; each task's counters, report, log and export file agree
with one another and with the catalog."""

from __future__ import annotations

import json
import re
from datetime import datetime

from clitools import invariant

STOCK = "Demo: supplier stock (CSV)"
MARKET = "Demo: marketplace prices (JSON lines)"
MISSING = "Demo: a supplier whose feed is missing"
EXPORT = "Demo: catalog to app (export)"


def _progress(total=0, processed=0, skipped=0, cancelled=0, error=0):
    return {"total": total, "pending": 0, "processed": processed, "skipped": skipped,
            "cancelled": cancelled, "error": error}


def _changes(detail):
    """{"price": "52.85", "quantity": "17"} from "price: 54.05 -> 52.85; quantity: 9 -> 17"."""
    return dict(re.findall(r"(\w+): [^;\s]+ -> ([^;\s]+)", detail))


def test_the_demo_shows_every_status_with_its_counters_report_log_and_export(sb, tmp_path):
    demo = sb("demo", timeout=120)
    assert demo.lines[-1].startswith("next: `syncbeat tasks`"), str(demo)

    tasks = sb.json("tasks", "--limit", "100")
    assert all(invariant(t["progress"]) for t in tasks)
    assert {t["status"] for t in tasks} == {"completed", "missed", "error", "killed", "pending"}
    by = {}
    for t in tasks:
        by.setdefault((t["profile"], t["status"]), []).append(t)

    # The stock feed: 500 known products (some unchanged), 20 new ones, 3 bad rows.
    [stock] = by[STOCK, "completed"]
    sp = stock["progress"]
    assert (sp["total"], sp["pending"], sp["cancelled"], sp["error"]) == (523, 0, 0, 3)
    assert sp["processed"] + sp["skipped"] == 520 and sp["processed"] >= 20
    [missed] = by[STOCK, "missed"]
    assert missed["progress"] == _progress()
    assert missed["message"] == f"task {stock['id']} of this profile was still running"
    assert missed["started_at"] is None
    [broken] = by[MISSING, "error"]
    assert broken["progress"] == _progress()
    assert broken["message"].startswith("the file feeds/not-delivered-yet.xml does not exist")
    # The marketplace feed (502 lines, one not JSON) was killed after its first batch of 50.
    [killed] = by[MARKET, "killed"]
    kp = killed["progress"]
    assert (kp["total"], kp["pending"], kp["processed"] + kp["skipped"]) == (502, 0, 50)
    assert kp["error"] >= 1 and kp["cancelled"] == 502 - 50 - kp["error"]
    assert killed["message"] == "killed by the demo, to show a killed task"
    # The export: every active product (9 in 10 demo products, and the 20 new ones).
    [exported] = by[EXPORT, "completed"]
    assert exported["progress"] == _progress(total=470, processed=470)
    assert exported["message"].startswith("export file of 470 products (")
    # Named after the profile, the task and its start, so no delivery overwrites another.
    started = exported["started_at"][:19].replace("-", "").replace(":", "")
    delivered = f"exports/demo-catalog-to-app-export-{exported['id']}-{started}.json"
    assert exported["message"].endswith(f" written to {delivered}")
    # The scheduled profiles wait for their next occurrence.
    waiting = {t["profile"] for t in tasks if t["status"] == "pending"}
    assert waiting == {STOCK, EXPORT}
    assert {t["trigger"] for t in tasks if t["status"] == "pending"} == {"schedule"}
    for t in tasks:
        if t["status"] in ("completed", "missed", "error", "killed"):
            assert t["finished_at"] is not None

    out = tmp_path / "export.json"
    (stock_report, killed_report, stock_log, killed_log, missed_log, export_file,
     import_file, catalog) = sb.many(
        ["task", "report", str(stock["id"])],
        ["task", "report", str(killed["id"])],
        ["task", "log", str(stock["id"])],
        ["task", "log", str(killed["id"])],
        ["task", "log", str(missed["id"])],
        ["task", "export-file", str(exported["id"]), "-o", str(out)],
        ["task", "export-file", str(stock["id"])],
        ["catalog", "list", "--json", "--limit", "10000"],
        check=False,
    )

    products = {p["reference"]: p for p in catalog.json()}
    assert len(products) == 520

    # The report: a row per queued product, the bad rows with their errors in words.
    assert stock_report.code == 0
    rows = stock_report.csv()
    assert rows[0] == ["item", "key", "outcome", "detail"]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 524))
    assert rows[-3:] == [
        ["521", "DEMO-0007", "error", "price 'abc' is not a number"],
        ["522", "", "error", "the row has no value for its key"],
        ["523", "DEMO-0009", "error", "row 523 has 2 columns, the header has 4"],
    ]
    assert [r[3] for r in rows[501:521]] == ["created"] * 20
    outcomes = [r[2] for r in rows[1:]]
    assert outcomes.count("processed") == sp["processed"]
    assert outcomes.count("skipped") == sp["skipped"]
    assert outcomes.count("error") == sp["error"]
    assert {r[3] for r in rows[1:] if r[2] == "skipped"} <= {"no change"}
    # What the report says changed is what the catalog holds.
    changed = [r for r in rows[101:500] if r[2] == "processed" and "price" in r[3]]
    assert changed
    for row in changed[:10]:
        product = products[row[1]]
        for name, value in _changes(row[3]).items():
            assert str(product[name]) == value, (name, row, product)
    # The bad row for DEMO-0007 changed nothing: its quantity is the one of its good row.
    assert rows[7][1] == "DEMO-0007"
    good7 = _changes(rows[7][3]).get("quantity") if rows[7][2] == "processed" else None
    if good7 is not None:
        assert products["DEMO-0007"]["quantity"] == int(good7)
    new = products["DEMO-0501"]
    assert (new["name"], new["price"], new["quantity"]) == ("New demo product 501", "9.99", 5)

    assert killed_report.code == 0
    outcomes = [r[2] for r in killed_report.csv()[1:]]
    assert len(outcomes) == 502
    for outcome in ("processed", "skipped", "cancelled", "error"):
        assert outcomes.count(outcome) == kp["error" if outcome == "error" else outcome]

    # The actions log: a header, the start, each batch, the end.
    log = stock_log.lines
    assert log[0] == f"syncbeat actions log of task {stock['id']} ({STOCK}, import)"
    assert log[1].startswith("status: completed; scheduled at ")
    text = stock_log.out
    assert re.search(r" started: read feeds/supplier-stock\.csv \(.+, csv\), batch size 100$",
                     text, re.M), text
    assert " queued 523 items (2 could not be read) in " in text
    batches = re.findall(r" batch (\d+): items ([\d,]+)-([\d,]+): ", text)
    assert batches == [("1", "1", "100"), ("2", "101", "200"), ("3", "201", "300"),
                       ("4", "301", "400"), ("5", "401", "500"), ("6", "501", "523")]
    assert "    changed DEMO-0001: price: " in text
    assert "    error item 521 (DEMO-0007): price 'abc' is not a number" in text
    assert re.search(rf" completed: 523 items: {sp['processed']} processed, {sp['skipped']} "
                     r"skipped, 0 cancelled, 3 error, in [\d.]+ s of work over 6 batches",
                     log[-1]), log[-1]
    assert killed_log.lines[-1].endswith(
        f"[WARNING] killed by the demo, to show a killed task: {kp['cancelled']} pending items "
        "cancelled")
    assert missed_log.lines[-1].endswith(
        f"[WARNING] missed: task {stock['id']} of this profile was still running")

    # The export file: valid JSON, a header and every active product as the catalog has it.
    assert export_file.code == 0, str(export_file)
    assert export_file.err_lines == [f"written to {out}"]
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["profile"] == EXPORT
    assert document["task"] == exported["id"]
    assert datetime.fromisoformat(document["generated_at"]).tzinfo is not None
    assert document["count"] == 470 == len(document["products"])
    active = {ref: p for ref, p in products.items() if p["active"]}
    assert {p["sku"] for p in document["products"]} == set(active)
    for item in document["products"]:
        product = active[item["sku"]]
        assert item == {"sku": product["reference"], "ean": product["ean13"],
                        "title": product["name"], "price": float(product["price"]),
                        "qty": product["quantity"]}
    assert json.loads((sb.data_dir / delivered).read_text(encoding="utf-8")) == document

    assert import_file.code == 1
    assert import_file.err_lines == [
        f"syncbeat: task {stock['id']} is an import: only exports have an export file"]
