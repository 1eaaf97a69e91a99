"""The profile form: its fields to the profile's nested settings, and back."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from starlette.datastructures import FormData

from syncbeat.domain.catalog_fields import KnownFields
from syncbeat.domain.profile import FORMATS, ProfileError
from syncbeat.domain.schedule import zone_choices
from syncbeat.domain.transforms import inline_toml

EMPTY_ROWS = 2  # blank mapping rows offered below the filled ones
ZONES = zone_choices("UTC", available_timezones())


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _pairs(form: FormData, left: str, right: str) -> dict[str, str]:
    keys = [v.strip() if isinstance(v, str) else "" for v in form.getlist(left)]
    values = [v.strip() if isinstance(v, str) else "" for v in form.getlist(right)]
    pairs: dict[str, str] = {}
    for n, (key, value) in enumerate(zip(keys, values, strict=False), start=1):
        if key or value:
            pairs[key or f"(row {n})"] = value
    return pairs


def _header_lines(form: FormData, name: str) -> dict[str, str]:
    """`Name: value` lines as headers; a line without ":" is kept whole as a name, so the
    profile's check says what is wrong with it."""
    headers: dict[str, str] = {}
    for line in _text(form, name).splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            headers[key.strip()] = value.strip()
    return headers


def form_to_data(form: FormData) -> dict[str, Any]:
    """The posted form as a profile's settings (the shape of its TOML file)."""
    kind = _text(form, "kind") or "import"
    data: dict[str, Any] = {"name": _text(form, "name"), "kind": kind,
                            "enabled": form.get("enabled") == "on"}
    for name in ("schedule", "timezone", "batch_size"):
        if _text(form, name):
            data[name] = _text(form, name)
    if kind == "export":
        active = _text(form, "filter.active")
        filt: dict[str, Any] = {
            "changed_since_last_export": form.get("filter.changed_since_last_export") == "on"
        }
        if active in ("yes", "no"):
            filt["active"] = active == "yes"
        data["filter"] = filt
        data["fields"] = _pairs(form, "out_name", "out_catalog")
        dest: dict[str, Any] = {}
        for key in ("format", "delimiter", "item"):
            raw = form.get(f"destination.{key}")
            if isinstance(raw, str) and raw.strip() and raw.strip() != {
                    "format": "json", "delimiter": ",", "item": "product"}[key]:
                dest[key] = raw if key == "delimiter" else raw.strip()
        if dest:
            data["destination"] = dest
        if _text(form, "destination.location"):
            data["destination"] = {"location": _text(form, "destination.location"), **dest}
            for key in ("method", "content_type"):
                if _text(form, f"destination.{key}"):
                    data["destination"][key] = _text(form, f"destination.{key}")
            if _text(form, "destination.headers"):
                data["destination"]["headers"] = _header_lines(form, "destination.headers")
        return data
    source: dict[str, Any] = {"location": _text(form, "source.location"),
                              "format": _text(form, "source.format") or "csv",
                              "header": form.get("source.header") == "on"}
    for key in ("delimiter", "quotechar"):
        raw = form.get(f"source.{key}")
        if isinstance(raw, str) and raw != "":
            source[key] = raw
    for key in ("encoding", "item", "sheet", "archive_member"):
        if _text(form, f"source.{key}"):
            source[key] = _text(form, f"source.{key}")
    if _text(form, "source.headers"):
        source["headers"] = _header_lines(form, "source.headers")
    data["source"] = source
    data["match"] = {"feed": _text(form, "match.feed") or "reference",
                     "catalog": _text(form, "match.catalog") or "reference"}
    data["mapping"] = _pairs(form, "map_catalog", "map_feed")
    data["options"] = {"create_missing": form.get("options.create_missing") == "on",
                       "skip_unchanged": form.get("options.skip_unchanged") == "on"}
    for key in ("duplicates", "missing"):
        if _text(form, f"options.{key}"):
            data["options"][key] = _text(form, f"options.{key}")
    scope = {key: _text(form, f"scope.{key}") for key in ("field", "test", "value")}
    if scope["value"]:
        data["scope"] = {"field": scope["field"] or "reference",
                         "equals" if scope["test"] == "equals" else "prefix": scope["value"]}
    limits = {key: _text(form, f"limits.{key}") for key in ("min_rows", "max_drop_percent")}
    if any(limits.values()):
        data["limits"] = {key: value for key, value in limits.items() if value}
    category = _text(form, "options.category")
    if category:
        data["options"]["category"] = category
    return data


def blank(kind: str, timezone: str) -> dict[str, Any]:
    """The settings of a new profile, as the empty form shows them (no batch size of its
    own: it follows the default)."""
    data: dict[str, Any] = {"name": "", "kind": kind, "timezone": timezone, "enabled": True}
    if kind == "export":
        data.update(filter={"active": True, "changed_since_last_export": False},
                    fields={"sku": "reference", "name": "name", "price": "price",
                            "quantity": "quantity"})
    else:
        data.update(source={"location": "", "format": "csv", "delimiter": ",", "header": True,
                            "encoding": "utf-8"},
                    match={"feed": "reference", "catalog": "reference"}, mapping={},
                    options={"create_missing": False, "skip_unchanged": True})
    return data


def errors_by_field(exc: ProfileError | None) -> dict[str, str]:
    """Each field's message (the first, if several), keyed by its dotted name."""
    found: dict[str, str] = {}
    for name, message in (exc.errors if exc else []):
        found.setdefault(name, message)
    return found


def form_context(data: dict[str, Any], errors: dict[str, str], known: KnownFields,
                 shop_zone: str = "UTC") -> dict[str, Any]:
    """What the form template needs besides the values (`known`: the catalog's fields)."""
    placed = {"name", "kind", "schedule", "timezone", "batch_size", "enabled", "mapping",
              "fields", "destination", "filter"}
    loose = {k: v for k, v in errors.items()
             if k not in placed and not k.startswith(("source.", "match.", "options.",
                                                      "limits.", "scope", "mapping.",
                                                      "fields.", "filter.", "destination."))}
    return {
        "values": data, "errors": errors, "other_errors": loose, "formats": FORMATS,
        # An import's datalist offers what it may write; an export's, every field.
        "catalog_fields": [f for f in known.converters if data.get("kind") == "export"
                           or f not in known.read_only],
        "free_prefix": known.free_prefix, "categories": known.categories,
        "match_fields": known.match, "zones": zone_choices(shop_zone, ZONES),
        "mapping_rows": _mapping_rows(data.get("mapping") or {}, errors),
        "field_rows": list((data.get("fields") or {}).items()) + [("", "")] * EMPTY_ROWS,
    }


def _mapping_rows(mapping: Any, errors: dict[str, str]) -> list[tuple[str, str, bool, str]]:
    """(catalog field, feed field or rule as an inline TOML table, is it a rule, its errors):
    a rule is shown as text the form reads back unchanged."""
    rows = []
    for name, value in (mapping.items() if isinstance(mapping, dict) else []):
        text = value if isinstance(value, str) else inline_toml(value)
        where = f"mapping.{name}"
        said = [message if key == where else f"{key.removeprefix(where + '.')}: {message}"
                for key, message in errors.items()
                if key == where or key.startswith((where + ".", where + "["))]
        rows.append((name, text, text.lstrip().startswith("{"), "; ".join(said)))
    return rows + [("", "", False, "")] * EMPTY_ROWS
