"""A profile's life from the command line: add (refused with every mistake named), list, show,
edit (validated again), disable, enable, delete (its tasks stay)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

from clitools import import_toml

BAD = """\
name = "Supplier B"
kind = "import"
schedule = "61 * * * *"
timezone = "Mars/Olympus"
batch_size = 0
colour = "red"

[source]
location = "feeds/b.csv"
format = "docx"

[match]
feed = "sku"
catalog = "name"

[mapping]
prise = "price"
quantity = "qty"

[options]
create_missing = "maybe"
"""


def test_a_profile_with_mistakes_is_refused_naming_each_field(sb):
    path = sb.profile_file(BAD, "supplier-b.toml")
    result = sb.fails("profile", "add", str(path), code=1)
    assert result.out == ""
    said = result.err_lines
    expected = [
        "colour: is not a setting of this profile",
        "schedule: '61 * * * *' is not a valid cron expression",
        "timezone: 'Mars/Olympus' is not a known time zone",
        "batch_size: must be between 1 and 100,000, not 0",
        "source.format: 'docx' is not one of csv, json, jsonl, xml, xlsx",
        "match.catalog: 'name' is not one of reference, ean13, id",
        "mapping.prise: no such catalog field",
        "options.create_missing: 'maybe' is not yes/no, true/false or 1/0",
    ]
    for text in expected:
        hits = [line for line in said if f"supplier-b.toml: {text}" in line]
        assert len(hits) == 1, f"{text!r} not said once in:\n{result.err}"
    assert len(said) == len(expected), result.err
    assert all(line.startswith("syncbeat: ") for line in said)
    assert sb.json("profile", "list") == []

    broken = sb.profile_file('name = "unterminated\n', "broken.toml")
    result = sb.fails("profile", "add", str(broken), code=1)
    assert "broken.toml: not a valid TOML file" in result.err
    assert "Traceback" not in result.err


def test_a_profile_is_added_listed_shown_edited_disabled_enabled_and_deleted(sb):
    # The feed uses ';' but the profile as added says ',': only the edit below makes it work.
    sb.feed("a.csv", ["sku", "title", "price", "qty"], [["A-1", "One", "1.50", "3"]],
            delimiter=";")
    added = sb.add_profile(import_toml("Supplier A", "a.csv", create_missing=True,
                                       schedule="*/15 * * * *"))
    assert len(added.lines) == 1, str(added)
    assert added.out.startswith("profile 1 'Supplier A' added (import, every 15"), str(added)

    listed, by_name = sb.many(["profile", "list"], ["profile", "show", "Supplier A", "--json"])
    assert listed.lines[0].split() == ["id", "name", "kind", "enabled", "schedule", "batch"]
    assert listed.lines[1].split() == ["1", "Supplier", "A", "import", "on", "*/15", "*", "*",
                                       "*", "*", "100"]
    shown = by_name.json()
    assert shown["id"] == 1 and shown["kind"] == "import" and shown["batch_size"] == 100
    assert shown["source"]["location"] == "feeds/a.csv"
    assert shown["mapping"] == {"price": "price", "quantity": "qty", "name": "title"}
    runs = [datetime.fromisoformat(at) for at in shown["next_runs"]]
    assert len(runs) == 5
    now = datetime.now(UTC)
    assert now - timedelta(seconds=5) < runs[0] <= now + timedelta(minutes=15)
    assert all(at.minute % 15 == 0 and at.second == 0 for at in runs)
    assert all(b - a == timedelta(minutes=15) for a, b in itertools.pairwise(runs))

    # An edit is validated again and saved.
    edited = sb("profile", "edit", "Supplier A", "--batch-size", "250",
                "--set", "options.skip_unchanged=false", "--set", "source.delimiter=';'")
    assert edited.lines == ["profile 1 'Supplier A' saved"]
    # A bad edit is refused with each field named, and the stored profile stays as it was.
    refused = sb.fails("profile", "edit", "Supplier A", "--batch-size", "0",
                       "--set", "mapping.prise=price", "--schedule", "every day", code=1)
    assert "batch_size: must be between 1 and 100,000, not 0" in refused.err
    assert "mapping.prise: no such catalog field" in refused.err
    assert "schedule: 'every day' is not a valid cron expression" in refused.err
    assert "saved" not in refused.out
    shown_again, tick = sb.many(["profile", "show", "1", "--json"], ["heartbeat"])
    after = shown_again.json()  # by id, as by name
    assert after["batch_size"] == 250
    assert after["options"] == {"create_missing": True, "skip_unchanged": False}
    assert after["source"]["delimiter"] == ";"
    assert after["schedule"] == "*/15 * * * *"
    assert after["mapping"] == shown["mapping"]

    # The heartbeat keeps the next occurrence pending; disabling drops it.
    assert any(line.startswith("Supplier A: next run at ") for line in tick.lines), str(tick)
    assert sb("profile", "disable", "Supplier A").lines == ["profile 1 'Supplier A' disabled"]
    profiles, pending = sb.many(["profile", "list", "--json"],
                                ["tasks", "--status", "pending", "--json"])
    assert profiles.json()[0]["enabled"] is False
    assert pending.json() == []

    # A disabled profile still runs by hand, with the edited delimiter.
    ran = sb("run", "Supplier A", "--wait")
    done = re.fullmatch(r"task (\d+) completed", ran.lines[-1])
    assert done, str(ran)
    task_id = int(done.group(1))

    enabled, product = sb.many(["profile", "enable", "1"], ["catalog", "show", "A-1", "--json"])
    assert enabled.lines == ["profile 1 'Supplier A' enabled"]
    assert product.json()["name"] == "One" and product.json()["price"] == "1.50"

    deleted = sb("profile", "delete", "Supplier A")
    assert deleted.lines == ["profile 1 'Supplier A' deleted; its tasks are kept"]
    profiles, missing, kept = sb.many(
        ["profile", "list", "--json"], ["profile", "show", "Supplier A"], ["tasks", "--json"],
        check=False,
    )
    assert profiles.code == 0 and profiles.json() == []
    assert missing.code == 1
    assert missing.err_lines == ["syncbeat: no profile 'Supplier A' (see `syncbeat profile list`)"]
    assert kept.code == 0
    assert [(t["id"], t["profile"], t["profile_id"], t["status"]) for t in kept.json()] == [
        (task_id, "Supplier A", None, "completed"),
    ]


RULES = """\
name = "Supplier R"
kind = "import"
[source]
location = "feeds/r.csv"
delimiter = ";"
[match]
feed = "sku"
[mapping.price]
from = "price"
steps = [ {multiply = 1.35}, {add = 0.50}, {round = "0.99"} ]
[mapping.quantity]
from = "qty"
map = { "in stock" = 100, "out of stock" = 0 }
steps = [ {min = 0} ]
"""


def test_a_profile_with_rules_runs_and_a_bad_step_is_refused_naming_it(sb):
    bad = sb.profile_file(RULES.replace('{round = "0.99"}', "{round = 0.99}"), "bad.toml")
    refused = sb.fails("profile", "add", str(bad), code=1)
    assert refused.err_lines == [
        f"syncbeat: {bad}: mapping.price.steps[2]: round must be a whole number of places "
        '(round = 2), an ending like "0.99" or a step like "0.05", in quotes']

    sb.feed("r.csv", ["sku", "price", "qty"], [["R-1", "7.40", "in stock"],
                                               ["R-2", "n/a", "3"]], delimiter=";")
    added = sb.add_profile(RULES.replace("[match]", "[options]\ncreate_missing = true\n"
                                                    "[match]"))
    assert added.out.startswith("profile 1 'Supplier R' added"), str(added)
    shown = sb.json("profile", "show", "1")
    assert shown["mapping"]["price"] == {
        "from": "price", "steps": [{"multiply": 1.35}, {"add": 0.5}, {"round": "0.99"}]}
    sb("run", "Supplier R")
    sb("worker", "--drain", "--quiet")
    report = sb("task", "report", "1").csv()
    assert report[1:] == [
        ["1", "R-1", "processed", "created"],
        ["2", "R-2", "error",
         "price: step 1 (multiply 1.35) needs a number, the feed has 'n/a' in price"]]
    product = sb("catalog", "show", "R-1", "--json").json()
    assert (product["price"], product["quantity"]) == ("10.99", 100)
