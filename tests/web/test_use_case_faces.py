"""The typed errors of the use-case layer, as each face answers them: a profile's name that
another profile has, a profile that does not exist, a setting refused."""

from __future__ import annotations

import re

from webtools import csrf_header, csrf_of


def _form(name: str) -> dict[str, object]:
    return {"kind": "import", "name": name, "schedule": "", "timezone": "UTC",
            "batch_size": "100", "enabled": "on", "source.location": "feeds/a.csv",
            "source.format": "csv", "source.delimiter": ";", "source.header": "on",
            "match.feed": "sku", "match.catalog": "reference", "map_catalog": ["price"],
            "map_feed": ["net_price"]}


def _post(client, path, data, page):
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def test_the_form_says_beside_the_name_that_another_profile_has_it(web, api, shop):
    response = _post(web, "/profiles/new", _form("Supplier A"), "/profiles/new")
    assert response.status_code == 409
    found = re.search(r'data-error-for="name">([^<]+)<', response.text)
    assert found and "a profile named &#39;Supplier A&#39; exists already" in found.group(1)
    assert 'value="Supplier A"' in response.text  # what was typed stays
    edited = _post(web, f"/profiles/{shop['export'].id}/edit", _form("Supplier A"),
                   f"/profiles/{shop['export'].id}/edit")
    assert edited.status_code == 409
    names = [p["name"] for p in api.get("/api/profiles").json()["profiles"]]
    assert sorted(names) == sorted([shop["import"].name, shop["export"].name])


def test_a_profile_that_does_not_exist_is_a_404_on_the_api_and_the_pages(web, api):
    for method, path in (("GET", "/api/profiles/nope"), ("DELETE", "/api/profiles/99"),
                         ("POST", "/api/profiles/99/enable")):
        response = api.request(method, path)
        assert response.status_code == 404
        assert response.json()["message"] == f"no profile '{path.split('/')[3]}'"
    gone = _post(web, "/profiles/99/delete", {}, "/profiles")
    assert gone.status_code == 404 and "no profile &#39;99&#39;" in gone.text


def test_a_refused_setting_is_named_by_the_api_and_beside_its_field_on_the_page(web, api):
    refused = api.patch("/api/settings", json={"retention_days": 0})
    assert refused.status_code == 422
    assert refused.json()["field"] == "retention_days"
    assert "must be between 1 and 3650" in refused.json()["message"]
    token = csrf_of(web.get("/configure").text)
    page = web.post("/configure/settings", data={"csrf_token": token, "retention_days": "x"},
                    follow_redirects=False)
    assert page.status_code == 422 and "retention_days: &#39;x&#39; is not a number" in page.text
    assert api.get("/api/settings").json()["retention_days"] == 30


def test_a_token_with_an_unknown_scope_is_refused_naming_the_scope(web):
    response = web.post("/api/tokens", json={"name": "x", "scope": "root"},
                        headers=csrf_header(web))
    assert response.status_code == 422
    assert response.json()["field"] == "scope"
    assert response.json()["message"] == (
        "scope: 'root' is not one of api:read, api:write, heartbeat, metrics")
