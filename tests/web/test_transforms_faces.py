"""Field rules through the faces: the API takes and gives them as objects, refuses a bad step
naming it; the web form shows a rule as an inline table and saves it back unchanged."""

from __future__ import annotations

import html
import re

from webtools import csrf_of, import_data

from syncbeat.store.db import read_tx
from syncbeat.store.profiles import get_profile

PRICE = {"from": "net_price", "steps": [{"multiply": 1.35}, {"add": 0.5}, {"round": "0.99"}]}
STOCK = {"from": "stock", "map": {"in stock": 100, "out of stock": 0}, "default": 1,
         "steps": [{"min": 0, "when": {"column": "category", "equals": "Phones"}}]}


def test_the_api_saves_a_rule_and_names_a_bad_step(api):
    made = api.post("/api/profiles", json=import_data(mapping={"price": PRICE,
                                                               "quantity": STOCK}))
    assert made.status_code == 201, made.text
    assert made.json()["mapping"] == {"price": PRICE, "quantity": STOCK}
    bad = {"from": "net_price", "steps": [{"multiply": 1.35}, {"add": 0.5}, {"round": 2.5}]}
    refused = api.post("/api/profiles", json=import_data(name="Bad", mapping={"price": bad}))
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{
        "field": "mapping.price.steps[2]",
        "message": 'round must be a whole number of places (round = 2), an ending like "0.99" '
                   'or a step like "0.05", in quotes'}]
    odd = api.post("/api/profiles", json=import_data(name="Odd", mapping={"price": {
        "from": "net_price", "steps": [{"add": 1, "unless": 2}]}}))
    assert odd.status_code == 422
    assert odd.json()["field"] == "mapping.price.steps[0].unless"


def test_the_openapi_document_describes_a_rule(api):
    schema = api.get("/api/openapi.json").json()
    body = schema["paths"]["/api/profiles"]["post"]["requestBody"]["content"]
    mapping = body["application/json"]["schema"]["properties"]["mapping"]
    text, rule = mapping["additionalProperties"]["anyOf"]
    assert text["type"] == "string"
    assert set(rule["properties"]) == {"from", "template", "value", "map", "default", "steps"}
    step = rule["properties"]["steps"]["items"]["properties"]
    assert {"multiply", "divide", "add", "min", "max", "round", "remove_tax", "add_tax",
            "when"} <= set(step)


def test_the_form_shows_a_rule_and_saves_it_back_unchanged(web, ctx):
    from webtools import add_profile

    profile = add_profile(ctx, import_data(mapping={"price": PRICE, "quantity": STOCK,
                                                    "name": "title"}))
    page = web.get(f"/profiles/{profile.id}/edit").text
    rules = [html.unescape(t) for t in re.findall(
        r'<textarea name="map_feed"[^>]*>([^<]*)</textarea>', page)]
    assert rules == [
        '{from = "net_price", steps = [{multiply = 1.35}, {add = 0.5}, {round = "0.99"}]}',
        '{from = "stock", map = {"in stock" = 100, "out of stock" = 0}, default = 1, steps = '
        '[{min = 0, when = {column = "category", equals = "Phones"}}]}',
    ]
    form = {"csrf_token": csrf_of(page), "kind": "import", "name": profile.name,
            "batch_size": "3", "timezone": "UTC", "enabled": "on",
            "source.location": "feeds/a.csv", "source.format": "csv", "source.delimiter": ";",
            "source.header": "on", "match.feed": "sku", "match.catalog": "reference",
            "map_catalog": ["price", "quantity", "name", ""],
            "map_feed": [*rules, "title", ""], "options.skip_unchanged": "on"}
    saved = web.post(f"/profiles/{profile.id}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with read_tx(ctx.db) as conn:
        again = get_profile(conn, profile.id)
    assert again is not None and again.to_dict()["mapping"] == profile.to_dict()["mapping"]

    form["map_feed"] = [rules[0].replace('"0.99"', '"abc"'), rules[1], "title", ""]
    refused = web.post(f"/profiles/{profile.id}/edit", data=form)
    assert refused.status_code == 422
    said = re.search(r'data-error-for="mapping.price">([^<]+)<', refused.text)
    assert said and html.unescape(said.group(1)).startswith(
        "steps[2]: round must be a whole number of places")
    assert "{round = &#34;abc&#34;}" in refused.text or "round = &quot;abc&quot;" in \
        refused.text  # what was typed stays


def test_the_preview_page_shows_each_rows_computed_value_beside_the_feed(web, ctx, shop):
    from webtools import add_profile

    profile = add_profile(ctx, import_data(name="Marked up", mapping={"price": PRICE}))
    page = web.get(f"/profiles/{profile.id}/preview").text
    table = page[page.index("<table"):page.index("</table>")]
    header = [html.unescape(h) for h in re.findall(r"<th[^>]*>([^<]*)</th>", table)]
    assert header[-3:] == ["→ price", "Would", "What changes"], header
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[cells[header.index("sku")]] = cells
    computed = header.index("→ price")
    # 2.00 x 1.35 = 2.70, + 0.50 = 3.20, up to the ending .99; 1.00 -> 1.85 -> 1.99.
    assert rows["P1"][computed].split()[0] == "3.99", rows["P1"]
    assert rows["P8"][computed].split()[0] == "1.99", rows["P8"]
    assert rows["P1"][-1].startswith("price: 1.00 -> 3.99 (net_price 2.00 x 1.35 = 2.70, ")
    assert rows["P7"][-2] == "error", rows["P7"]
    assert "step 1 (multiply" in rows["P7"][-1] and "abc" in rows["P7"][-1], rows["P7"]


def test_every_face_words_a_rules_change_as_its_task_ran_it(api, web, ctx, shop):
    """The task page, the items API, the report and the product's history say what the rule
    did, by the rule the task ran with, even after the profile's rule changed."""
    import csv
    import io

    from webtools import add_profile, drain

    from syncbeat.engine.actions import run_now

    profile = add_profile(ctx, import_data(name="Marked up", mapping={"price": PRICE}))
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    doubled = {"from": "net_price", "steps": [{"multiply": 2}]}
    changed = api.put(f"/api/profiles/{profile.id}",
                      json=import_data(name="Marked up", mapping={"price": doubled}))
    assert changed.status_code == 200, changed.text

    said = "price: 1.00 -> 3.99 (net_price 2.00 x 1.35 = 2.70, + 0.50 = 3.20, ending .99)"
    items = api.get(f"/api/tasks/{task_id}/items").json()["items"]
    assert {i["key"]: i["detail"] for i in items}["P1"] == said
    assert said in html.unescape(web.get(f"/tasks/{task_id}").text)
    report = csv.DictReader(io.StringIO(api.get(f"/api/tasks/{task_id}/report").text))
    assert {r["key"]: r["detail"] for r in report}["P1"] == said
    assert api.get("/api/products/P1").json()["changed_by"][0]["detail"] == said
    assert said in html.unescape(web.get("/catalog/P1").text)
    log = api.get(f"/api/tasks/{task_id}/log").text
    assert f"changed P1: {said}" in log
